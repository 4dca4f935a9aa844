// A release the updater will not install (bad signature, tampered, hostile, incompatible, older).
// The CLI prints its message as is, and the updater audits it as update.refused.
export class ReleaseRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseRejectedError';
  }
}
