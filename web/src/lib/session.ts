// Who is signed in, asked without a failed request: `/api/auth/session` answers 200
// either way, so a sign-in page logs no 401 in the console.
import { api, setCsrf } from './api';
import type { Agent, User } from './types';

export interface Me {
  user: User & { mfa_enabled?: boolean };
  org?: { id: string; slug: string; name: string; mfa_required: boolean };
  csrf_token: string;
  agent?: Agent | null;
  /** The organisation requires MFA and this user has not set it up: only enrolment is open. */
  mfa_enrolment_required?: boolean;
}

/** The signed-in session (its CSRF token stored), or null when signed out. */
export async function loadSession(): Promise<Me | null> {
  const r = await api.get<{ signed_in: boolean } & Partial<Me>>('/api/auth/session');
  if (!r.signed_in || !r.user) {
    setCsrf('');
    return null;
  }
  setCsrf(r.csrf_token);
  return r as Me;
}
