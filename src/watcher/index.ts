/** Payment watcher: records every payment to the payment address; see docs/watcher.md. */
export { paymentWatcher } from "./extension.js";
export { startPaymentWatcher, type StartWatcherOptions, type StartedWatcher } from "./start.js";
export { PaymentWatcher, type PassResult, type WatcherSettings } from "./watcher.js";
export { AdvisoryLease, lockKey } from "./lease.js";
export { classify, type PaymentRow, type ObservedPayment } from "./classify.js";
