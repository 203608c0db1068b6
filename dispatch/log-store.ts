import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Job logs, one file per node, written from `pipeline.job.log` pieces. Each piece says where it
 * belongs (its byte offset), so a piece delivered twice is dropped and one that arrives before
 * its predecessor is handed back to wait for it: the file is always the log's exact prefix.
 */
export class LogStore {
  private made = false;

  constructor(readonly dir: string) {}

  file(nodeId: number): string {
    return path.join(this.dir, `${nodeId}.log`);
  }

  size(nodeId: number): number {
    try {
      return statSync(this.file(nodeId)).size;
    } catch {
      return 0;
    }
  }

  append(nodeId: number, offset: number, data: string): 'appended' | 'duplicate' | 'gap' {
    const bytes = Buffer.from(data, 'utf8');
    const size = this.size(nodeId);
    if (offset > size) return 'gap';
    if (offset + bytes.length <= size) return 'duplicate';
    if (!this.made) {
      // Made on first use, so a service that never runs a job leaves no folder behind.
      mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    const fd = openSync(this.file(nodeId), 'a');
    try {
      writeSync(fd, bytes, size - offset);
    } finally {
      closeSync(fd);
    }
    return 'appended';
  }
}
