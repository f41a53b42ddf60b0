/** The one error type of the REST client (no JupyterLab imports, so hooks and tests can use it). */

/** An HTTP error from the server, with its status (0: the server could not be reached) and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message to show for a failed call: the server's message, else the error's text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
