"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { SignOutButton } from "./auth/sign-out-button.tsx";
import { ConnectionStatus } from "./realtime/connection-status.tsx";

export interface NavItem {
  href: string;
  label: string;
  /** e.g. an unread count next to the label. */
  badge?: ReactNode;
}

interface AppShellProps {
  viewer: { username: string; role: "admin" | "client" };
  homeHref: string;
  nav?: NavItem[];
  children: ReactNode;
}

/** Header (brand, sections, connection state, who is signed in, sign-out) and the main landmark. */
export function AppShell({ viewer, homeHref, nav = [], children }: AppShellProps) {
  const pathname = usePathname();
  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="sr-only rounded bg-white px-3 py-2 focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href={homeHref} className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-emerald-700 text-white">
              <svg viewBox="0 0 24 24" className="size-4" fill="currentColor">
                <path d="M13 2 4 14h6l-1 8 9-12h-6l1-8Z" />
              </svg>
            </span>
            EMS{viewer.role === "admin" && <span className="text-sm font-normal text-slate-600">admin console</span>}
          </Link>
          {nav.length > 0 && (
            <nav aria-label="Sections" className="order-last w-full sm:order-none sm:w-auto">
              <ul className="flex gap-1 overflow-x-auto">
                {nav.map((item) => {
                  const current = pathname === item.href || pathname.startsWith(`${item.href}/`);
                  return (
                    <li key={item.href}>
                      <Link
                        href={item.href}
                        aria-current={current ? "page" : undefined}
                        className={`inline-flex items-center gap-2 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap ${
                          current ? "bg-emerald-50 text-emerald-900" : "text-slate-700 hover:bg-slate-100"
                        }`}
                      >
                        {item.label}
                        {item.badge}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </nav>
          )}
          <div className="ml-auto flex items-center gap-3">
            <ConnectionStatus />
            <span className="hidden text-sm text-slate-700 sm:inline">
              <span className="sr-only">Signed in as </span>
              <strong className="font-medium">{viewer.username}</strong>
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      {/* Room at the bottom, so that the floating chat button never hides the end of the page. */}
      <main id="main" className="mx-auto flex w-full max-w-7xl flex-1 flex-col gap-6 px-4 pt-6 pb-24">
        {children}
      </main>
    </div>
  );
}
