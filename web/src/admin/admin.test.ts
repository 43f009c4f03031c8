import { describe, expect, it } from 'vitest';
import { agentBody, agentToForm, contactBody, emptyQueueForm, newAttr, newStep, queueBody, queueToForm, stepsBody } from './admin';
import { actorName, auditCsv, auditGroup } from './audit';
import { emptyObjectForm, objectBody, objectToForm } from './objects';

describe('queue form', () => {
  it('a new queue sends every known field and nothing else', () => {
    const f = emptyQueueForm();
    f.name = '  Orders  ';
    const r = queueBody(f);
    expect('body' in r).toBe(true);
    if (!('body' in r)) return;
    expect(r.body.name).toBe('Orders');
    expect(r.body.priority).toBe(0);
    expect(r.body.service_level_percent).toBe(80);
    expect(r.body.offer_timeout_s).toBeNull();
    expect(r.body.steps).toEqual([{ target: 'true', timeout_s: null }]);
    expect(Object.keys(r.body).sort()).toEqual(
      [
        'name', 'priority', 'service_level_percent', 'service_level_s', 'offer_timeout_s', 'after_contact_work_s', 'max_wait_s', 'priority_aging_s',
        'prefer_last_agent_s', 'decline_cooloff_s', 'selection', 'steps', 'overflow_queue_id', 'public', 'record_calls', 'required_skills',
      ].sort(),
    );
  });

  it('says what to fix, and which field', () => {
    const f = emptyQueueForm();
    expect(queueBody(f)).toMatchObject({ field: 'name' });
    f.name = 'Q';
    f.numbers.priority = '101';
    expect(queueBody(f)).toMatchObject({ field: 'priority', problem: expect.stringMatching(/0 to 100/) });
    f.numbers.priority = '5';
    f.numbers.after_contact_work_s = '0';
    f.steps = [newStep('skill.orders >= 4', ''), newStep('skill.orders >= 2')];
    expect(queueBody(f)).toMatchObject({ field: 'step-0', problem: expect.stringMatching(/step 1 waits/) });
    f.steps[0].timeout = '30';
    const r = queueBody(f);
    expect(r).toHaveProperty('body');
    if ('body' in r) {
      expect(r.body.after_contact_work_s).toBe(0);
      expect(r.body.steps).toEqual([
        { target: 'skill.orders >= 4', timeout_s: 30 },
        { target: 'skill.orders >= 2', timeout_s: null },
      ]);
    }
  });

  it('an existing queue round-trips; required skills become the one step', () => {
    const f = queueToForm({ id: 'x', name: 'Returns', required_skills: ['returns'], public: true, offer_timeout_s: 45, steps: [] });
    expect(f.steps.map((s) => s.target)).toEqual(['skill.returns']);
    expect(f.public).toBe('yes');
    expect(f.record_calls).toBe(false);
    expect(queueToForm({ id: 'y', name: 'Calls', record_calls: true, steps: [] }).record_calls).toBe(true);
    expect(f.numbers.offer_timeout_s).toBe('45');
    const r = queueBody(f);
    expect(r).toHaveProperty('body');
    if ('body' in r) {
      expect(r.body.public).toBe(true);
      expect(r.body.required_skills).toEqual(['returns']);
      expect(r.body.offer_timeout_s).toBe(45);
    }
  });

  it('number boxes may hold numbers or null (how Svelte binds them)', () => {
    const f = emptyQueueForm();
    f.name = 'Q';
    (f.numbers as Record<string, unknown>).priority = 7;
    (f.numbers as Record<string, unknown>).offer_timeout_s = null;
    f.steps = [newStep('true'), newStep('true')];
    (f.steps[0] as { timeout: unknown }).timeout = 30;
    const r = queueBody(f);
    expect(r).toHaveProperty('body');
    if ('body' in r) {
      expect(r.body.priority).toBe(7);
      expect(r.body.offer_timeout_s).toBeNull();
      expect((r.body.steps as { timeout_s: number }[])[0].timeout_s).toBe(30);
    }
  });

  it('the last step never sends a timeout', () => {
    expect(stepsBody([newStep('true', '99')])).toEqual([{ target: 'true', timeout_s: null }]);
  });
});

describe('sample contact', () => {
  it('attributes as a map, blank names dropped', () => {
    const c = contactBody({ channel: 'voice', priority: '2', attributes: [newAttr('language', 'es'), newAttr(' ', 'x')] });
    expect(c).toEqual({ channel: 'voice', priority: 2, attributes: { language: 'es' } });
  });
});

describe('agent profile', () => {
  const agent = {
    id: 'a',
    name: 'Alex',
    state: 'offline',
    skills: { orders: 4, returns: 3 },
    capacity_by_channel: { voice: 1, chat: 3, messaging: 3, email: 3, task: 1, max_total: null, rules: [{ when: 'voice' }] },
  };
  it('keeps the cross-channel rules and refuses a level out of range', () => {
    const f = agentToForm(agent);
    f.skills[0].level = '5';
    const r = agentBody(f, agent.capacity_by_channel.rules);
    expect(r).toEqual({
      body: { skills: { orders: 5, returns: 3 }, capacity: { voice: 1, chat: 3, messaging: 3, email: 3, task: 1, max_total: null, rules: [{ when: 'voice' }] } },
    });
    f.skills[1].level = '6';
    expect(agentBody(f)).toMatchObject({ problem: expect.stringMatching(/returns from 1 to 5/) });
    f.skills[1].level = '2';
    f.skills[1].name = 'orders';
    expect(agentBody(f)).toMatchObject({ problem: expect.stringMatching(/listed once/) });
  });
});

describe('configuration objects', () => {
  it('business hours: HH:MM, open before close', () => {
    const f = emptyObjectForm('business-hours');
    f.name = 'Support';
    f.values.timezone = 'Europe/London';
    const r = objectBody('business-hours', f);
    expect(r).toHaveProperty('body');
    if ('body' in r) expect((r.body.weekly as unknown[]).length).toBe(5);
    f.weekly[0].close = '08:00';
    expect(objectBody('business-hours', f)).toMatchObject({ problem: expect.stringMatching(/Monday's closing time later/) });
  });

  it('an edit keeps the fields the form does not show, and sends no unknown ones', () => {
    const o = { id: '1', name: 'Order status', label: 'ORD', tags: ['x'], shortcut: '/status', created_at: 't', updated_at: 't' };
    const f = objectToForm('wrapup-codes', o);
    f.values.description = 'When the order is found';
    const r = objectBody('wrapup-codes', f, o);
    expect(r).toEqual({ body: { name: 'Order status', label: 'ORD', tags: ['x'], shortcut: '/status', description: 'When the order is found' } });
  });

  it('skill names are what routing steps can name', () => {
    const f = emptyObjectForm('skills');
    f.name = 'after sales';
    expect(objectBody('skills', f)).toHaveProperty('problem');
    f.name = 'after-sales_2';
    expect(objectBody('skills', f)).toHaveProperty('body');
  });
});

describe('audit log', () => {
  const names = new Map([
    ['u1', 'Ana Admin'],
    ['u2', 'Alex Agent'],
  ]);
  it('names who did it, an impersonating admin included', () => {
    expect(actorName({ kind: 'user', id: 'u1' }, names)).toBe('Ana Admin');
    expect(actorName({ kind: 'api_token', id: 't', user_id: 'u2', by: 'u1' }, names)).toBe('Ana Admin as Alex Agent (token)');
    expect(actorName({ kind: 'api_token', id: 't', user_id: 'u2' }, names)).toBe('Alex Agent (token)');
    expect(actorName({ kind: 'system' }, names)).toBe('Homeshore');
    expect(actorName(undefined, names)).toBe('');
  });
  it('groups kinds and writes CSV that spreadsheets read back', () => {
    expect(auditGroup('audit.read')).toBe('reads');
    expect(auditGroup('pii.revealed')).toBe('reads');
    expect(auditGroup('auth.login')).toBe('auth');
    expect(auditGroup('something.new')).toBe('other');
    const csv = auditCsv(
      [{ seq: 7, at: '2026-12-06T10:00:00Z', kind: 'pii.revealed', data: { actor: { kind: 'user', id: 'u1' }, reason: 'call back, "urgent"' } }],
      names,
    );
    expect(csv).toBe('seq,at,kind,who,details\r\n7,2026-12-06T10:00:00Z,pii.revealed,Ana Admin,"{""reason"":""call back, \\""urgent\\""""}"\r\n');
  });
});
