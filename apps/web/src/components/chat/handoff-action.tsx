"use client";

import { useState } from "react";
import { Button } from "../ui/button.tsx";
import { errorMessage } from "../format.ts";

interface HandoffActionProps {
  /** The conversation already went to the administrators after this reply. */
  handedOver: boolean;
  onHandoff: () => Promise<void>;
}

/**
 * Under a bot reply that cannot help: one click passes the question, with the recent conversation, to
 * the administrators; afterwards it says so instead.
 */
export function HandoffAction({ handedOver, onHandoff }: HandoffActionProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (handedOver) return <p className="text-xs text-emerald-800">Sent to the administrators: a person replies here.</p>;

  const handOff = async () => {
    setBusy(true);
    setError(null);
    try {
      await onHandoff();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex flex-col items-start gap-1">
      <Button variant="secondary" size="sm" busy={busy} onClick={() => void handOff()}>
        Ask an administrator
      </Button>
      {error && (
        <p role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
