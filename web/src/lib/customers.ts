// One customer across channels: which channels reach a customer through an identity.

/** The channels an identity of this kind reaches (its contacts come from there). */
export function channelsOf(kind: string): string[] {
  switch (kind) {
    case 'phone':
    case 'whatsapp':
      return ['sms', 'whatsapp', 'voice'];
    case 'email':
      return ['email'];
    case 'messenger_psid':
    case 'messenger':
      return ['messenger'];
    case 'chat':
      return ['chat'];
    default:
      return [];
  }
}

/** "1 contact", "3 contacts". */
export function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
