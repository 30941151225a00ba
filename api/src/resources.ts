// Names of the ACOG API, used wherever a part addresses the API server.
export const GROUP = 'acog.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const CHANNELS = { kind: 'Channel', plural: 'channels', singular: 'channel', shortName: 'ch' } as const;
export const EPISODES = { kind: 'Episode', plural: 'episodes', singular: 'episode', shortName: 'ep' } as const;

/** The annotation that passes an approval gate before a stage, e.g. approve.acog.dev/voice. */
export const APPROVAL_ANNOTATION_PREFIX = 'approve.acog.dev/';
