import { NOTIFICATION_ROUTING_KEYS } from "@ems/contracts/queues";
import type { AlertCreated, ConsumptionUpdated, DeviceSilence } from "@ems/contracts/notifications";
import type { Broker, Logger } from "@ems/messaging";
import { hourStart as hourStartOf } from "@ems/contracts/measurement";
import type { HourTotal } from "./ingest.ts";

const HOUR_MS = 3_600_000;
/**
 * Live consumption updates are for the hours a viewer sees changing: the current UTC hour and the one
 * before (its last readings arrive just after the hour turns). Replaying older history updates the
 * stored totals, which charts load on request, without a push per device-hour.
 */
const LIVE_HOURS_BEFORE_CURRENT = 1;

export interface NotifierOptions {
  exchange: string;
  /**
   * Live consumption updates are coalesced: at most one per device-hour per interval, carrying the
   * latest total (a replay at thousands of readings per second must not flood browsers). 0 sends
   * each update at once.
   */
  consumptionIntervalMs: number;
  log: Logger;
  /** Attempts for an alert or alarm publish before giving up (the row stays stored and visible in history). */
  alertAttempts?: number;
  retryDelayMs?: number;
}

/**
 * Publishes monitoring → chat notifications on the notifications topic exchange: for devices that have
 * an owner, `alert.created` at once (retried) and `consumption.updated` for live hours, coalesced; for
 * every device (the administrators get them too), `device.silence` when its silence alarm was raised or
 * cleared, at once (retried).
 *
 * Notifications are sent after the transaction that stored them committed (for readings, after their
 * messages were acked), so they are at-most-once: if the process dies in between, the stored alert is
 * still shown in the alert history but is not pushed. A redelivered reading never produces a second
 * alert (the alert row exists), nor a second sweep a second alarm.
 */
export class Notifier {
  private readonly pendingConsumption = new Map<string, ConsumptionUpdated>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Pick<Broker, "publish">,
    private readonly options: NotifierOptions,
  ) {
    if (options.consumptionIntervalMs > 0) {
      this.timer = setInterval(() => this.publishPendingConsumption(), options.consumptionIntervalMs);
      this.timer.unref();
    }
  }

  /** Queues the notifications for one committed batch's device-hours. */
  notify(hourTotals: readonly HourTotal[], now: number = Date.now()): void {
    const oldestLiveHour = hourStartOf(now) - LIVE_HOURS_BEFORE_CURRENT * HOUR_MS;
    for (const total of hourTotals) {
      if (total.ownerId === null) continue;
      const hourStart = total.hourStart.toISOString();
      if (total.alert) {
        const alert: AlertCreated = {
          alertId: total.alert.id,
          deviceId: total.deviceId,
          ownerId: total.ownerId,
          hourStart,
          total: total.totalKwh,
          limit: total.limitKwh,
          createdAt: total.alert.createdAt.toISOString(),
        };
        this.track(this.publishRetried(NOTIFICATION_ROUTING_KEYS.alertCreated, alert, `alert ${alert.alertId}`));
      }
      if (total.hourStart.getTime() < oldestLiveHour) continue;
      const update: ConsumptionUpdated = { deviceId: total.deviceId, ownerId: total.ownerId, hourStart, total: total.totalKwh };
      this.pendingConsumption.set(`${total.deviceId}@${hourStart}`, update);
    }
    if (this.options.consumptionIntervalMs === 0) this.publishPendingConsumption();
  }

  /** Queues the pushes of silence alarms a sweep raised or cleared. */
  notifySilence(alarms: readonly DeviceSilence[]): void {
    for (const alarm of alarms) {
      this.track(this.publishRetried(NOTIFICATION_ROUTING_KEYS.deviceSilence, alarm, `silence alarm ${alarm.alarmId} (${alarm.state})`));
    }
  }

  /** Sends what is pending and waits for every publish to settle; then stops the interval. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.publishPendingConsumption();
    await Promise.allSettled([...this.inFlight]);
  }

  private publishPendingConsumption(): void {
    for (const update of this.pendingConsumption.values()) {
      this.track(
        this.publish(NOTIFICATION_ROUTING_KEYS.consumptionUpdated, update).catch((error: unknown) =>
          this.options.log.warn(`consumption update for ${update.deviceId} not sent: ${String(error)}`),
        ),
      );
    }
    this.pendingConsumption.clear();
  }

  /** Publishes a notification of a stored row (`what`, for the log), retrying with a growing delay. */
  private async publishRetried(routingKey: string, body: AlertCreated | DeviceSilence, what: string): Promise<void> {
    const attempts = this.options.alertAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publish(routingKey, body);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          this.options.log.error(`${what} stored but not pushed after ${attempts} attempts: ${String(error)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, (this.options.retryDelayMs ?? 1_000) * attempt));
      }
    }
  }

  private publish(routingKey: string, body: AlertCreated | ConsumptionUpdated | DeviceSilence): Promise<void> {
    return this.broker.publish(this.options.exchange, routingKey, JSON.stringify(body));
  }

  private track(publish: Promise<void>): void {
    this.inFlight.add(publish);
    void publish.finally(() => this.inFlight.delete(publish));
  }
}
