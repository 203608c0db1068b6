import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/**
 * Every error Sluice raises on purpose carries a stable code that callers and tests match on.
 * The code is one of ERROR_CODES, so the compiler refuses one nobody listed.
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The HTTP status the API answers this error with (ERROR_CODES); 500 when it is not the client's fault. */
  get statusCode(): number {
    return ERROR_CODES[this.code].status;
  }
}
