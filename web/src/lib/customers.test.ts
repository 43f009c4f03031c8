import { describe, expect, it } from 'vitest';
import { channelsOf, count } from './customers';

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
