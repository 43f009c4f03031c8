import { describe, expect, it } from 'vitest';
import { channelsOf, count, reachable } from './customers';

describe('channelsOf', () => {
  it('names the channels an identity reaches', () => {
    expect(channelsOf('phone')).toEqual(['sms', 'whatsapp', 'voice']);
    expect(channelsOf('email')).toEqual(['email']);
    expect(channelsOf('messenger_psid')).toEqual(['messenger']);
    expect(channelsOf('chat')).toEqual(['chat']);
    expect(channelsOf('fax')).toEqual([]);
  });
});

describe('count', () => {
  it('says one or many', () => {
    expect(count(1, 'contact', 'contacts')).toBe('1 contact');
    expect(count(0, 'contact', 'contacts')).toBe('0 contacts');
    expect(count(2, 'identity', 'identities')).toBe('2 identities');
  });
});

describe('reachable', () => {
  it('offers the other channels the customer has an identity for', () => {
    expect(reachable(['phone', 'chat'], 'chat')).toEqual(['sms']);
    expect(reachable(['phone', 'email'], 'whatsapp')).toEqual(['sms', 'email']);
    expect(reachable(['chat'], 'chat')).toEqual([]);
    expect(reachable(['messenger_psid'], 'sms')).toEqual([]);
  });
});
