/** A counting semaphore: at most `max` calls of run() are in their function at once. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * A budget shared by weighted tasks: a task runs once its weight fits in what the running ones
 * leave. A task heavier than the whole budget runs alone. Waiting tasks start in arrival order.
 */
export class WeightedLimiter {
  private used = 0;
  private readonly waiting: Array<{ weight: number; start: () => void }> = [];
  constructor(private readonly budget: number) {}

  async run<T>(weight: number, fn: () => Promise<T>): Promise<T> {
    const w = Math.min(Math.max(0, weight), this.budget);
    if (this.waiting.length > 0 || this.used + w > this.budget) {
      await new Promise<void>((start) => this.waiting.push({ weight: w, start }));
    } else {
      this.used += w;
    }
    try {
      return await fn();
    } finally {
      this.used -= w;
      this.startWaiting();
    }
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.weight <= this.budget) {
      const next = this.waiting.shift()!;
      this.used += next.weight;
      next.start();
    }
  }
}
