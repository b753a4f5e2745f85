"use client";

import { Component, type ErrorInfo, type ReactNode } from "react";
import { Button } from "./button.tsx";

interface ErrorBoundaryProps {
  /** What failed, for the message ("The support chat"). */
  label: string;
  children: ReactNode;
}

/** Keeps a failing widget from taking the page down: shows what failed and offers to retry. */
export class ErrorBoundary extends Component<ErrorBoundaryProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`${this.props.label} failed`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="fixed right-4 bottom-4 z-40 flex items-center gap-3 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 shadow-lg">
        {this.props.label} stopped working.
        <Button variant="secondary" size="sm" onClick={() => this.setState({ failed: false })}>
          Restart it
        </Button>
      </div>
    );
  }
}
