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

/** The channels an agent may open a contact on from here, for a customer with these
 * identity kinds, other than the contact's own (web chat and calls are not opened from
 * the desktop; WhatsApp and Messenger take a business's text only in reply, in the
 * customer's own conversation there). The server also checks the channel is set up and
 * the number not opted out. */
export function reachable(kinds: string[], current: string): string[] {
  const out: string[] = [];
  for (const ch of ['sms', 'email']) {
    if (ch === current) continue;
    if (kinds.some((k) => channelsOf(k).includes(ch))) out.push(ch);
  }
  return out;
}
