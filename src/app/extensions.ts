import { manageExtension } from "../manage/extension.js";
import { chainHealth } from "../chain/health.js";
import { paymentWatcher } from "../watcher/extension.js";
import { x402Extension } from "../x402/extension.js";
import type { Extension } from "./context.js";
import { unfundedSweep } from "./unfunded-sweep.js";
import { usageMaintenance } from "./usage-maintenance.js";
import { usagePeriodSweep } from "./usage-periods.js";

/**
 * Features every gateway starts, in order. Each lives in its own folder and declares the part of the
 * GatewayContext it needs; adding one is one line here.
 */
export const DEFAULT_EXTENSIONS: readonly Extension[] = [
  manageExtension(),
  chainHealth,
  paymentWatcher,
  x402Extension,
  unfundedSweep(),
  usageMaintenance,
  usagePeriodSweep,
];
