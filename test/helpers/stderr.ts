/** Runs fn with process.stderr captured (the log writes there) and returns what was written. */
export async function captureStderr(fn: () => unknown): Promise<string> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return stderr;
}
