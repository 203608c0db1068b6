/**
 * Answers of POST /decision as sent (the JSON text), kept until something they were made from
 * changes: a result or waiver of one of their subjects (`invalidate`), anything at all (`clear`:
 * another process wrote to the store), or their time to live (answers with gating files fetched
 * live as long as the fetched files are trusted). At most `max` answers; the oldest go first.
 */
export class DecisionCache {
  private readonly entries = new Map<
    string,
    { json: string; subjects: readonly string[]; expires: number }
  >();
  private readonly bySubject = new Map<string, Set<string>>();

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return e.json;
  }

  /** `subjects`: the identifiers of the subjects the answer is about; `ttlMs` Infinity = until invalidated. */
  set(key: string, subjects: readonly string[], json: string, ttlMs = Infinity): void {
    if (this.max <= 0 || ttlMs <= 0) return;
    this.remove(key);
    if (this.entries.size >= this.max) this.remove(this.entries.keys().next().value!);
    this.entries.set(key, { json, subjects, expires: this.now() + ttlMs });
    for (const s of subjects) {
      let keys = this.bySubject.get(s);
      if (!keys) this.bySubject.set(s, (keys = new Set()));
      keys.add(key);
    }
  }

  /** A result or waiver of this subject was stored (called inside the storing transaction; a rollback only costs a re-computation). */
  invalidate(identifier: string): void {
    const keys = this.bySubject.get(identifier);
    if (!keys) return;
    for (const key of [...keys]) this.remove(key);
  }

  clear(): void {
    this.entries.clear();
    this.bySubject.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (const s of e.subjects) {
      const keys = this.bySubject.get(s);
      keys?.delete(key);
      if (keys?.size === 0) this.bySubject.delete(s);
    }
  }
}
