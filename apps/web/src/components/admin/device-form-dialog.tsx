"use client";

import { useState, type FormEvent } from "react";
import { createDeviceInputSchema, updateDeviceInputSchema, type CreateDeviceInput, type UpdateDeviceInput } from "~/lib/schemas.ts";
import { InputField, SelectField, TextareaField } from "../ui/field.tsx";
import { FormDialogActions, Modal } from "../ui/modal.tsx";
import { validateForm, type FieldErrors } from "../ui/validation.ts";
import type { Device, User } from "../api-types.ts";

interface DeviceDraft {
  name: string;
  description: string;
  address: string;
  maxHourlyConsumption: string;
  ownerId: string;
}

const LABELS = { maxHourlyConsumption: "Max hourly consumption", ownerId: "Owner" };

type DeviceFormProps =
  | { mode: "create"; clients: User[]; onSubmit: (input: CreateDeviceInput) => void; onClose: () => void }
  | { mode: "edit"; device: Device; onSubmit: (input: UpdateDeviceInput) => void; onClose: () => void };

/** Create or edit a device; the limit is checked as the server will (kWh, at most 3 decimals). */
export function DeviceFormDialog(props: DeviceFormProps) {
  const [draft, setDraft] = useState<DeviceDraft>(
    props.mode === "edit"
      ? {
          name: props.device.name,
          description: props.device.description ?? "",
          address: props.device.address ?? "",
          maxHourlyConsumption: String(Number(props.device.maxHourlyConsumption)),
          ownerId: props.device.ownerId ?? "",
        }
      : { name: "", description: "", address: "", maxHourlyConsumption: "", ownerId: "" },
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());

  const validate = (values: DeviceDraft) => {
    const { ownerId, ...fields } = values;
    return props.mode === "create"
      ? validateForm(createDeviceInputSchema, { ...fields, ownerId: ownerId || null }, LABELS)
      : validateForm(updateDeviceInputSchema, { id: props.device.id, ...fields }, LABELS);
  };

  const check = (values: DeviceDraft, field: keyof DeviceDraft) => {
    const result = validate(values);
    setErrors((current) => ({ ...current, [field]: result.ok ? undefined : result.errors[field] }));
  };

  const field = (name: keyof DeviceDraft) => ({
    name,
    value: draft[name],
    error: errors[name],
    onChange: (event: { target: { value: string } }) => {
      const next = { ...draft, [name]: event.target.value };
      setDraft(next);
      if (touched.has(name)) check(next, name);
    },
    onBlur: () => {
      setTouched((current) => new Set([...current, name]));
      check(draft, name);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = validate(draft);
    if (!result.ok) {
      setErrors(result.errors);
      setTouched(new Set(Object.keys(draft)));
      return;
    }
    if (props.mode === "create") props.onSubmit(result.data as CreateDeviceInput);
    else props.onSubmit(result.data as UpdateDeviceInput);
  };

  const creating = props.mode === "create";
  return (
    <Modal open onClose={props.onClose} title={creating ? "New device" : `Edit ${props.device.name}`}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-2">
        <InputField label="Name" required autoComplete="off" data-autofocus {...field("name")} />
        <TextareaField label="Description (optional)" rows={2} {...field("description")} />
        <InputField label="Address (optional)" autoComplete="off" {...field("address")} />
        <InputField
          label="Max hourly consumption (kWh)"
          inputMode="decimal"
          required
          autoComplete="off"
          hint="An alert is raised when an hour's total goes above it; up to 3 decimals"
          {...field("maxHourlyConsumption")}
        />
        {props.mode === "create" && (
          <SelectField label="Owner" {...field("ownerId")}>
            <option value="">Unassigned</option>
            {props.clients.map((client) => (
              <option key={client.id} value={client.id}>
                {client.username} ({client.name})
              </option>
            ))}
          </SelectField>
        )}
        <FormDialogActions submitLabel={creating ? "Create device" : "Save changes"} onCancel={props.onClose} />
      </form>
    </Modal>
  );
}
