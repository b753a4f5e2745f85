/** Whether `zone` is an IANA time zone this runtime knows (Europe/Bucharest, UTC, …). */
export function isIanaTimeZone(zone: string): boolean {
  if (zone === "" || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
