import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { Providers } from "./providers.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "EMS — Energy Management System", template: "%s · EMS" },
  description: "Smart-meter devices, hourly consumption, over-consumption alerts and support chat.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The Content-Security-Policy allows only scripts carrying this response's nonce (src/proxy.ts), so
  // no page may be prerendered at build time: this renders every page, the 404 page included, per
  // request. Next.js takes the nonce from the request's CSP header and puts it on its own scripts; a
  // server component that adds a <Script> reads it with `(await headers()).get("x-nonce")`.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
