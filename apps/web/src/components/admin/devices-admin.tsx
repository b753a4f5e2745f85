"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { CreateDeviceInput, UpdateDeviceInput } from "~/lib/schemas.ts";
import { useOptimisticList } from "~/hooks/use-optimistic-list.ts";
import { useTRPC, useTRPCClient } from "~/trpc/react.tsx";
import { Button } from "../ui/button.tsx";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { EmptyState, ErrorState, Skeleton } from "../ui/states.tsx";
import { useToast } from "../ui/toast.tsx";
import type { Device, User } from "../api-types.ts";
import { errorMessage, formatKwh } from "../format.ts";
import { AdminTable, RowActions, TableToolbar, rowStateClass } from "./admin-table.tsx";
import { DeviceFormDialog } from "./device-form-dialog.tsx";

type Dialog = { kind: "create" } | { kind: "edit"; device: Device } | { kind: "delete"; device: Device } | null;

/** Devices: create, edit (incl. the limit), assign/unassign an owner and delete, optimistically. */
export function DevicesAdmin() {
  const trpc = useTRPC();
  const api = useTRPCClient();
  const toast = useToast();
  const devicesKey = trpc.devices.list.queryKey();
  const devices = useQuery(trpc.devices.list.queryOptions());
  const clients = useQuery(trpc.users.list.queryOptions({ role: "client" }));
  const { run, pendingIds, rolledBackIds, placeholderId } = useOptimisticList<Device>(devicesKey);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [filter, setFilter] = useState("");
  // Device counts in the users table change with every assignment.
  const usersKey = trpc.users.list.queryKey();

  const clientName = (id: string | null | undefined) => (id ? (clients.data?.find((c) => c.id === id)?.username ?? null) : null);

  const create = async (input: CreateDeviceInput) => {
    setDialog(null);
    const id = placeholderId();
    const now = new Date();
    const placeholder: Device = {
      id,
      name: input.name,
      description: input.description ?? null,
      address: input.address ?? null,
      maxHourlyConsumption: input.maxHourlyConsumption,
      ownerId: input.ownerId ?? null,
      ownerUsername: clientName(input.ownerId),
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const saved = await run({
      description: `Creating ${input.name}`,
      affectedIds: [id],
      optimistic: (list) => [...list, placeholder],
      mutate: () => api.devices.create.mutate(input),
      settle: (list, created) => list.map((d) => (d.id === id ? created : d)),
      alsoInvalidate: [usersKey],
    });
    if (saved) toast({ tone: "success", title: `Device ${input.name} created` });
  };

  const update = async (device: Device, input: UpdateDeviceInput) => {
    setDialog(null);
    const saved = await run({
      description: `Saving ${device.name}`,
      affectedIds: [device.id],
      optimistic: (list) =>
        list.map((d) =>
          d.id === device.id
            ? { ...d, name: input.name ?? d.name, description: input.description ?? null, address: input.address ?? null, maxHourlyConsumption: input.maxHourlyConsumption ?? d.maxHourlyConsumption }
            : d,
        ),
      mutate: () => api.devices.update.mutate(input),
      settle: (list, updated) => list.map((d) => (d.id === device.id ? updated : d)),
    });
    if (saved) toast({ tone: "success", title: `${device.name} saved` });
  };

  const setOwner = async (device: Device, ownerId: string) => {
    const saved = await run({
      description: ownerId ? `Assigning ${device.name} to ${clientName(ownerId) ?? "the client"}` : `Unassigning ${device.name}`,
      affectedIds: [device.id],
      optimistic: (list) => list.map((d) => (d.id === device.id ? { ...d, ownerId: ownerId || null, ownerUsername: clientName(ownerId) } : d)),
      mutate: () => (ownerId ? api.devices.assign.mutate({ deviceId: device.id, userId: ownerId }) : api.devices.unassign.mutate({ deviceId: device.id })),
      settle: (list, updated) => list.map((d) => (d.id === device.id ? { ...updated, ownerUsername: updated.ownerUsername ?? clientName(updated.ownerId) } : d)),
      alsoInvalidate: [usersKey],
    });
    if (saved) toast({ tone: "success", title: ownerId ? `${device.name} assigned to ${clientName(ownerId) ?? "the client"}` : `${device.name} unassigned` });
  };

  const remove = async (device: Device) => {
    setDialog(null);
    const deleted = await run({
      description: `Deleting ${device.name}`,
      affectedIds: [device.id],
      optimistic: (list) => list.filter((d) => d.id !== device.id),
      mutate: () => api.devices.delete.mutate({ id: device.id }),
      alsoInvalidate: [usersKey],
    });
    if (deleted) toast({ tone: "success", title: `${device.name} deleted` });
  };

  const needle = filter.trim().toLowerCase();
  const shown = (devices.data ?? []).filter(
    (d) => !needle || [d.name, d.description ?? "", d.address ?? "", d.ownerUsername ?? ""].some((text) => text.toLowerCase().includes(needle)),
  );

  return (
    <>
      <TableToolbar
        title="Devices"
        count={devices.data?.length}
        filter={filter}
        onFilter={setFilter}
        filterLabel="Filter devices by name, description, address or owner"
        action={<Button onClick={() => setDialog({ kind: "create" })}>New device</Button>}
      />
      {clients.isError && <ErrorState title="The clients could not be loaded (owners cannot be changed)" message={errorMessage(clients.error)} onRetry={() => void clients.refetch()} />}
      {devices.isPending ? (
        <Skeleton className="h-64" />
      ) : devices.isError ? (
        <ErrorState title="The devices could not be loaded" message={errorMessage(devices.error)} onRetry={() => void devices.refetch()} />
      ) : shown.length === 0 ? (
        <EmptyState title={needle ? "No device matches" : "No devices yet"}>{needle ? "Try another filter." : "Create the first one."}</EmptyState>
      ) : (
        <AdminTable caption="Devices" headers={["Device", "Address", "Max per hour", "Owner", "Actions"]}>
          {shown.map((device) => {
            const pending = pendingIds.has(device.id);
            return (
              <tr key={device.id} className={rowStateClass(pending, rolledBackIds.has(device.id))} aria-busy={pending || undefined}>
                <th scope="row" className="max-w-72 px-3 py-2 text-left font-normal">
                  <span className="block font-medium break-words">{device.name}</span>
                  {device.description && <span className="block text-xs break-words text-slate-600">{device.description}</span>}
                  {rolledBackIds.has(device.id) && <span className="text-xs text-red-700">change undone</span>}
                </th>
                <td className="px-3 py-2 break-words">{device.address ?? <span className="text-slate-500">—</span>}</td>
                <td className="px-3 py-2 whitespace-nowrap tabular-nums">{formatKwh(device.maxHourlyConsumption)}</td>
                <td className="px-3 py-2">
                  <OwnerSelect device={device} clients={clients.data} disabled={pending || !clients.data} onChange={(ownerId) => void setOwner(device, ownerId)} />
                </td>
                <td className="px-3 py-2">
                  <RowActions name={device.name} disabled={pending} onEdit={() => setDialog({ kind: "edit", device })} onDelete={() => setDialog({ kind: "delete", device })} />
                </td>
              </tr>
            );
          })}
        </AdminTable>
      )}
      {dialog?.kind === "create" && <DeviceFormDialog mode="create" clients={clients.data ?? []} onSubmit={(input) => void create(input)} onClose={() => setDialog(null)} />}
      {dialog?.kind === "edit" && <DeviceFormDialog mode="edit" device={dialog.device} onSubmit={(input) => void update(dialog.device, input)} onClose={() => setDialog(null)} />}
      <ConfirmDialog
        open={dialog?.kind === "delete"}
        title={dialog?.kind === "delete" ? `Delete ${dialog.device.name}?` : ""}
        description={<p>The device and its settings are removed; its owner no longer sees it. This cannot be undone.</p>}
        confirmLabel="Delete device"
        onConfirm={() => dialog?.kind === "delete" && void remove(dialog.device)}
        onCancel={() => setDialog(null)}
      />
    </>
  );
}

/** Choosing a client assigns the device at once; "Unassigned" takes it away from its owner. */
function OwnerSelect({ device, clients, disabled, onChange }: { device: Device; clients: User[] | undefined; disabled: boolean; onChange: (ownerId: string) => void }) {
  const current = device.ownerId ?? "";
  // An owner missing from the list (e.g. not loaded yet) is still shown by name.
  const ownerListed = !current || clients?.some((c) => c.id === current);
  return (
    <select
      value={current}
      disabled={disabled}
      onChange={(event) => onChange(event.target.value)}
      aria-label={`Owner of ${device.name}`}
      className="h-8 w-full min-w-36 rounded-md border border-slate-300 bg-white px-2 text-sm focus:outline-2 focus:outline-offset-1 focus:outline-emerald-700 disabled:bg-slate-100"
    >
      <option value="">Unassigned</option>
      {!ownerListed && <option value={current}>{device.ownerUsername ?? "Unknown client"}</option>}
      {clients?.map((client) => (
        <option key={client.id} value={client.id}>
          {client.username}
        </option>
      ))}
    </select>
  );
}
