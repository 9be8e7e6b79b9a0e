/** Workflow bundle entry: workflow functions only. */
export { tenantWorkflow } from './tenant-workflow.js';
