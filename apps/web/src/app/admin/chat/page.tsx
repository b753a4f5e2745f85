import type { Metadata } from "next";
import { ChatInbox } from "~/components/admin/chat-inbox.tsx";

export const metadata: Metadata = { title: "Chat inbox" };

export default function ChatInboxPage() {
  return <ChatInbox />;
}
