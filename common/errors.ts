/**
 * Base error for clawfleet. Every error carries a stable `code` that callers
 * (HTTP error handlers, activity boundaries, the CLI) map to behaviour, and a
 * `cause` so the original failure is never lost.
 */
export class ClawfleetError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Configuration is missing or invalid; raised once, at start-up. */
export class ConfigError extends ClawfleetError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** A tool the system needs (temporal CLI, redis-server, ...) could not be found or installed. */
export class ToolchainError extends ClawfleetError {
  readonly tool: string;
  readonly hint: string;

  constructor(tool: string, reason: string, hint: string, options?: { cause?: unknown }) {
    super('TOOL_MISSING', `${tool}: ${reason}. ${hint}`, options);
    this.tool = tool;
    this.hint = hint;
  }
}

/** A tenant id failed validation; it must never become a key, path, label or URL. */
export class InvalidTenantIdError extends ClawfleetError {
  readonly tenantId: string;

  constructor(tenantId: string) {
    super('TENANT_ID_INVALID', `invalid tenant id ${JSON.stringify(tenantId.slice(0, 80))}`);
    this.tenantId = tenantId;
  }
}
