"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { CreateUserInput, UpdateUserInput } from "~/lib/schemas.ts";
import { useOptimisticList } from "~/hooks/use-optimistic-list.ts";
import { useTRPC, useTRPCClient } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import { useToast } from "../ui/toast.tsx";
import type { User } from "../api-types.ts";
import { errorMessage, formatDateTime } from "../format.ts";
import { AdminTable, RowActions, TableToolbar, rowStateClass } from "./admin-table.tsx";
import { EMPTY_USER_DRAFT, UserFormDialog, type UserDraft } from "./user-form-dialog.tsx";

type Dialog = { kind: "create"; draft: UserDraft; serverError: string | null } | { kind: "edit"; user: User } | { kind: "delete"; user: User } | null;

/** Users: create, edit (profile, role, password) and delete, each shown at once and undone if refused. */
export function UsersAdmin() {
  const trpc = useTRPC();
  const api = useTRPCClient();
  const toast = useToast();
  const usersKey = trpc.users.list.queryKey();
  const users = useQuery(trpc.users.list.queryOptions());
  const { run, pendingIds, rolledBackIds, placeholderId } = useOptimisticList<User>(usersKey);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [filter, setFilter] = useState("");

  const create = async (input: CreateUserInput, draft: UserDraft) => {
    setDialog(null);
    const id = placeholderId();
    const now = new Date();
    const placeholder: User = { id, username: input.username, name: input.name, email: input.email ?? null, address: input.address ?? null, role: input.role, createdAt: now, updatedAt: now, deviceCount: 0 };
    let refusal = "";
    const saved = await run({
      description: `Creating ${input.username}`,
      affectedIds: [id],
      optimistic: (list) => [...list, placeholder],
      mutate: () =>
        api.users.create.mutate(input).catch((error: unknown) => {
          refusal = errorMessage(error);
          throw error;
        }),
      settle: (list, created) => list.map((user) => (user.id === id ? { ...created, deviceCount: 0 } : user)),
    });
    // Nothing typed is lost: the form comes back with the server's reason.
    if (saved) toast({ tone: "success", title: `User ${input.username} created` });
    else setDialog({ kind: "create", draft, serverError: refusal });
  };

  const update = async (user: User, input: UpdateUserInput) => {
    setDialog(null);
    const saved = await run({
      description: `Saving ${user.username}`,
      affectedIds: [user.id],
      optimistic: (list) =>
        list.map((u) =>
          u.id === user.id ? { ...u, name: input.name ?? u.name, email: input.email ?? null, address: input.address ?? null, role: input.role ?? u.role } : u,
        ),
      mutate: () => api.users.update.mutate(input),
      settle: (list, updated) => list.map((u) => (u.id === user.id ? { ...u, ...updated } : u)),
    });
    if (saved) toast({ tone: "success", title: `${user.username} saved` });
  };

  const remove = async (user: User) => {
    setDialog(null);
    const deleted = await run({
      description: `Deleting ${user.username}`,
      affectedIds: [user.id],
      optimistic: (list) => list.filter((u) => u.id !== user.id),
      mutate: () => api.users.delete.mutate({ id: user.id }),
      // Their devices were unassigned.
      alsoInvalidate: [trpc.devices.list.queryKey()],
    });
    if (deleted) toast({ tone: "success", title: `${user.username} deleted` });
  };

  const needle = filter.trim().toLowerCase();
  const shown = (users.data ?? []).filter((u) => !needle || [u.username, u.name, u.email ?? ""].some((text) => text.toLowerCase().includes(needle)));

  return (
    <>
      <TableToolbar
        title="Users"
        count={users.data?.length}
        filter={filter}
        onFilter={setFilter}
        filterLabel="Filter users by username, name or email"
        action={<Button onClick={() => setDialog({ kind: "create", draft: EMPTY_USER_DRAFT, serverError: null })}>New user</Button>}
      />
      {users.isPending ? (
        <Skeleton className="h-64" />
      ) : users.isError ? (
        <ErrorState title="The users could not be loaded" message={errorMessage(users.error)} onRetry={() => void users.refetch()} />
      ) : shown.length === 0 ? (
        <EmptyState title={needle ? "No user matches" : "No users yet"}>{needle ? "Try another filter." : "Create the first one."}</EmptyState>
      ) : (
        <AdminTable caption="Users" headers={["Username", "Name", "Email", "Role", "Devices", "Created", "Actions"]}>
          {shown.map((user) => (
            <tr key={user.id} className={rowStateClass(pendingIds.has(user.id), rolledBackIds.has(user.id))} aria-busy={pendingIds.has(user.id) || undefined}>
              <th scope="row" className="px-3 py-2 text-left font-medium">
                {user.username}
                {rolledBackIds.has(user.id) && <span className="ml-2 text-xs font-normal text-red-700">change undone</span>}
              </th>
              <td className="px-3 py-2">{user.name}</td>
              <td className="px-3 py-2 break-all">{user.email ?? <span className="text-slate-500">—</span>}</td>
              <td className="px-3 py-2">
                <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${user.role === "admin" ? "bg-violet-100 text-violet-900" : "bg-slate-100 text-slate-800"}`}>
                  {user.role === "admin" ? "Administrator" : "Client"}
                </span>
              </td>
              <td className="px-3 py-2 tabular-nums">{user.deviceCount}</td>
              <td className="px-3 py-2 whitespace-nowrap text-slate-700">{formatDateTime(user.createdAt)}</td>
              <td className="px-3 py-2">
                <RowActions
                  name={user.username}
                  disabled={pendingIds.has(user.id)}
                  onEdit={() => setDialog({ kind: "edit", user })}
                  onDelete={() => setDialog({ kind: "delete", user })}
                />
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
      {dialog?.kind === "create" && <UserFormDialog mode="create" initial={dialog.draft} serverError={dialog.serverError} onSubmit={(input, draft) => void create(input, draft)} onClose={() => setDialog(null)} />}
      {dialog?.kind === "edit" && <UserFormDialog mode="edit" user={dialog.user} onSubmit={(input) => void update(dialog.user, input)} onClose={() => setDialog(null)} />}
      <ConfirmDialog
        open={dialog?.kind === "delete"}
        title={dialog?.kind === "delete" ? `Delete ${dialog.user.username}?` : ""}
        description={
          dialog?.kind === "delete" && (
            <p>
              Their account and profile are removed
              {dialog.user.deviceCount > 0 ? ` and their ${dialog.user.deviceCount} device${dialog.user.deviceCount === 1 ? "" : "s"} become unassigned` : ""}. This cannot be undone.
            </p>
          )
        }
        confirmLabel="Delete user"
        onConfirm={() => dialog?.kind === "delete" && void remove(dialog.user)}
        onCancel={() => setDialog(null)}
      />
    </>
  );
}
