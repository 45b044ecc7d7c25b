/** The client platforms a device logs in as (Tencent's platform names); the multi-login policy counts devices per platform. */
export const Platforms = ['Web', 'Android', 'iOS', 'Windows', 'Mac', 'iPad', 'Linux'] as const
export type Platform = (typeof Platforms)[number]
