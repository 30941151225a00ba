// The limits of server-sent event streams: how many may be open (in all, and per user), how many
// changes a client that does not read may fall behind (a stream keeps only its position in the
// shared change log, no queue of its own; beyond that it is closed: it reconnects with
// Last-Event-ID and is replayed what it missed, or told to reload), and how often a stream's token
// is reviewed again (a TokenReview says nothing of expiry; a JWT's exp ends the stream by itself).

export interface StreamLimits {
  /** Streams open at once on this replica; beyond, 429. */
  maxStreams: number;
  /** Streams of one user at once; beyond, 429. */
  maxStreamsPerUser: number;
  /** Changes one client may fall behind (at most the change log's 10 000); beyond, it is too slow and is closed. */
  maxLag: number;
  /** Milliseconds between reviews of a stream's token; a refusal ends the stream. */
  reviewMs: number;
  /** The Retry-After of a 429, in seconds. */
  retryAfterSeconds: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxStreams: 2000,
  maxStreamsPerUser: 20,
  maxLag: 10_000,
  reviewMs: 60_000,
  retryAfterSeconds: 10,
};

/** Counts open streams, in all and per user. */
export class StreamSlots {
  private readonly perUser = new Map<string, number>();
  private total = 0;
  private readonly limits: Pick<StreamLimits, 'maxStreams' | 'maxStreamsPerUser'>;

  constructor(limits: Pick<StreamLimits, 'maxStreams' | 'maxStreamsPerUser'>) {
    this.limits = limits;
  }

  /** A slot for the user (release it when the stream ends), or why there is none. */
  acquire(user: string): { release: () => void } | { refused: string } {
    if (this.total >= this.limits.maxStreams)
      return { refused: `this gateway has ${this.total} event streams open, its limit (--max-streams ${this.limits.maxStreams})` };
    const mine = this.perUser.get(user) ?? 0;
    if (mine >= this.limits.maxStreamsPerUser)
      return {
        refused: `user "${user}" has ${mine} event streams open, the limit per user (--max-streams-per-user ${this.limits.maxStreamsPerUser}): close a tab or two`,
      };
    this.total++;
    this.perUser.set(user, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perUser.get(user) ?? 1) - 1;
        if (left > 0) this.perUser.set(user, left);
        else this.perUser.delete(user);
      },
    };
  }

  get open(): number {
    return this.total;
  }
}
