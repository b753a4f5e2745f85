"use client";

import { useState, type FormEvent } from "react";
import { createUserInputSchema, updateUserInputSchema, type CreateUserInput, type UpdateUserInput } from "~/lib/schemas.ts";
import { FormError, InputField, SelectField } from "../ui/field.tsx";
import { FormDialogActions, Modal } from "../ui/modal.tsx";
import { validateForm, type FieldErrors } from "../ui/validation.ts";
import type { User } from "../api-types.ts";

export interface UserDraft {
  username: string;
  password: string;
  name: string;
  email: string;
  address: string;
  role: "admin" | "client";
}

export const EMPTY_USER_DRAFT: UserDraft = { username: "", password: "", name: "", email: "", address: "", role: "client" };

export function draftOf(user: User): UserDraft {
  return { username: user.username, password: "", name: user.name, email: user.email ?? "", address: user.address ?? "", role: user.role };
}

type UserFormProps =
  | { mode: "create"; initial: UserDraft; serverError?: string | null; onSubmit: (input: CreateUserInput, draft: UserDraft) => void; onClose: () => void }
  | { mode: "edit"; user: User; onSubmit: (input: UpdateUserInput) => void; onClose: () => void };

/** Create or edit a user, checked field by field with the server's own schema as the user goes. */
export function UserFormDialog(props: UserFormProps) {
  const [draft, setDraft] = useState<UserDraft>(props.mode === "create" ? props.initial : draftOf(props.user));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());

  const validate = (values: UserDraft) =>
    props.mode === "create"
      ? validateForm(createUserInputSchema, values)
      : validateForm(updateUserInputSchema, {
          id: props.user.id,
          name: values.name,
          email: values.email,
          address: values.address,
          role: values.role,
          ...(values.password ? { password: values.password } : {}),
        });

  const change = (field: keyof UserDraft, value: string) => {
    const next = { ...draft, [field]: value };
    setDraft(next);
    // Once a field has been left with a problem, its message follows every keystroke.
    if (touched.has(field)) {
      const result = validate(next);
      setErrors((current) => ({ ...current, [field]: result.ok ? undefined : result.errors[field] }));
    }
  };
  const leave = (field: keyof UserDraft) => {
    setTouched((current) => new Set([...current, field]));
    const result = validate(draft);
    setErrors((current) => ({ ...current, [field]: result.ok ? undefined : result.errors[field] }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = validate(draft);
    if (!result.ok) {
      setErrors(result.errors);
      setTouched(new Set(Object.keys(draft)));
      return;
    }
    if (props.mode === "create") props.onSubmit(result.data as CreateUserInput, draft);
    else props.onSubmit(result.data as UpdateUserInput);
  };

  const field = (name: keyof UserDraft) => ({
    name,
    value: draft[name],
    error: errors[name],
    onChange: (event: { target: { value: string } }) => change(name, event.target.value),
    onBlur: () => leave(name),
  });

  const creating = props.mode === "create";
  return (
    <Modal open onClose={props.onClose} title={creating ? "New user" : `Edit ${props.user.username}`}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-2">
        {creating && <FormError message={props.serverError} />}
        {creating ? (
          <InputField label="Username" autoComplete="off" required hint="3-32 characters: letters, digits, '.', '_' or '-'" data-autofocus {...field("username")} />
        ) : (
          <p className="text-sm text-slate-700">
            Username <strong>{props.user.username}</strong> (cannot be changed)
          </p>
        )}
        <InputField
          label={creating ? "Password" : "New password"}
          type="password"
          autoComplete="new-password"
          required={creating}
          hint={creating ? "At least 8 characters" : "Leave empty to keep the current one; a new one signs the user out"}
          {...field("password")}
        />
        <InputField label="Full name" autoComplete="off" required {...field("name")} {...(creating ? {} : { "data-autofocus": true })} />
        <InputField label="Email (optional)" type="email" autoComplete="off" {...field("email")} />
        <InputField label="Address (optional)" autoComplete="off" {...field("address")} />
        <SelectField label="Role" {...field("role")}>
          <option value="client">Client</option>
          <option value="admin">Administrator</option>
        </SelectField>
        <FormDialogActions submitLabel={creating ? "Create user" : "Save changes"} onCancel={props.onClose} />
      </form>
    </Modal>
  );
}
