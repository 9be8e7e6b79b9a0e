/** Workflow bundle entry: workflow functions only. */
export { tenantWorkflow } from './tenant-workflow.js';
export { telegramWebhookWorkflow } from './telegram-webhook-workflow.js';
export { fleetUpgradeWorkflow } from './fleet-upgrade-workflow.js';
