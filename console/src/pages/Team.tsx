// The application's team: who has which role, invitations by email (owner only), and the screen an
// invited person accepts on. What a viewer cannot do is not shown to them.
import { useEffect, useState } from 'preact/hooks';
import { api, appPath, del, get, post, put } from '../api/client';
import type { components } from '../api/openapi';
import type { Application } from '../api/types';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { navigate } from '../router';
import { useSession } from '../state';
import { Alert, Card, CopyButton, Dialog, Icon, PageHeader, Select, Table, TextInput, WhenLoaded, errorText, useLoad, useSubmit } from '../ui';
import { NoApplication } from './common';

type Team = components['schemas']['Team'];
type Member = components['schemas']['TeamMember'];
type Invitation = components['schemas']['Invitation'];
type CreatedInvitation = components['schemas']['CreatedInvitation'];
type InvitedRole = components['schemas']['InvitedRole'];
type Role = components['schemas']['Role'];

export const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', developer: 'Developer', viewer: 'Viewer' };
const ROLE_HINT: Record<Role, string> = {
  owner: 'Everything, including the team',
  developer: 'Keys, templates and settings',
  viewer: 'Overview, monitoring and reports',
};
/** The pages a viewer's role does not include (App.tsx shows them a notice there instead). */
export const NOT_FOR_VIEWERS = ['applications', 'templates', 'settings'];

export function inviteLink(token: string): string {
  return `${location.origin}${location.pathname}#/invite/${encodeURIComponent(token)}`;
}

export function Team() {
  const t = useT();
  const { lang } = useLang();
  const { app, me } = useSession();
  const loaded = useLoad(app ? (signal) => get<Team>(appPath(app.application_id) + '/members', undefined, signal) : null, [app?.application_id]);
  const [inviting, setInviting] = useState(false);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [error, setError] = useState('');
  if (!app) return <NoApplication title={t('Team')} />;
  const owner = app.role === 'owner';

  const act = async (send: () => Promise<unknown>) => {
    setError('');
    try {
      await send();
      loaded.reload();
    } catch (err) {
      setError(t(errorText(err, t)));
    }
  };
  const roleOptions = (['developer', 'viewer'] as InvitedRole[]).map((r) => ({ value: r, label: t(ROLE_LABEL[r]) }));

  return (
    <>
      <PageHeader title={t('Team')}>
        {owner && (
          <button type="button" class="btn btn-primary" onClick={() => setInviting(true)} data-testid="invite">
            <Icon name="plus" size={18} />
            {t('Invite someone')}
          </button>
        )}
      </PageHeader>
      <p class="muted" data-testid="my-role">
        {t('Your role in {app}: {role}.', { app: app.name, role: t(ROLE_LABEL[app.role]) })} {t(ROLE_HINT[app.role])}.
      </p>
      {error && <Alert>{error}</Alert>}
      <Card title={t('Members')}>
        <WhenLoaded loaded={loaded} data={loaded.data} keepOnError>
          {(team) => (
            <Table<Member> testid="members" label={t('Members')} rows={team.members} rowKey={(m) => m.user_id} rowAttrs={(m) => ({ 'data-email': m.email || '', 'data-role': m.role })}
              columns={[
                { label: t('Email'), cell: (m) => <span class="wrap-any">{m.email || t('(the owner)')}{m.user_id === me.user_id ? ` (${t('you')})` : ''}</span> },
                {
                  label: t('Role'),
                  cell: (m) =>
                    owner && m.role !== 'owner' ? (
                      <RoleSelect label={t('Role of {email}', { email: m.email || '' })} value={m.role as InvitedRole} options={roleOptions}
                        onChange={(role) => act(() => put(`${appPath(app.application_id)}/members/${encodeURIComponent(m.user_id)}`, { role }))} />
                    ) : (
                      t(ROLE_LABEL[m.role])
                    ),
                },
                { label: t('Joined'), cell: (m) => (m.joined_at ? formatTime(m.joined_at, lang) : '') },
                ...(owner
                  ? [{ label: t('Actions'), action: true, cell: (m: Member) => m.role !== 'owner' && (
                      <button type="button" class="btn btn-ghost btn-small" onClick={() => setRemoving(m)} data-testid="remove-member">
                        {t('Remove')}
                      </button>
                    ) }]
                  : []),
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      {owner && (
        <Card title={t('Invitations waiting')}>
          <WhenLoaded loaded={loaded} data={loaded.data} keepOnError>
            {(team) => (
              <Table<Invitation> testid="invitations" label={t('Invitations waiting')} rows={team.invitations} rowKey={(i) => i.invitation_id} rowAttrs={(i) => ({ 'data-email': i.email })}
                empty={{ icon: 'inbox', message: t('No invitations waiting.') }}
                columns={[
                  { label: t('Email'), cell: (i) => <span class="wrap-any">{i.email}</span> },
                  { label: t('Role'), cell: (i) => t(ROLE_LABEL[i.role]) },
                  { label: t('Valid until'), cell: (i) => formatTime(i.expires_at, lang) },
                  {
                    label: t('Actions'), action: true,
                    cell: (i) => (
                      <button type="button" class="btn btn-ghost btn-small" onClick={() => act(() => del(`${appPath(app.application_id)}/invitations/${i.invitation_id}`))}>
                        {t('Withdraw')}
                      </button>
                    ),
                  },
                ]}
              />
            )}
          </WhenLoaded>
        </Card>
      )}
      {inviting && <InviteDialog app={app} roleOptions={roleOptions} onClose={() => setInviting(false)} onCreated={(c) => (setInviting(false), setCreated(c), loaded.reload())} />}
      <Dialog open={Boolean(created)} title={t('Invitation ready')} onClose={() => setCreated(null)}
        footer={<button type="button" class="btn btn-primary" onClick={() => setCreated(null)}>{t('Done')}</button>}>
        {created && (
          <div class="stack">
            <p>{t('Send this link to {email}. It works once, for 7 days, for an account with that email.', { email: created.email })}</p>
            <label class="sr-only" for="invite-link">{t('Invitation link')}</label>
            <input id="invite-link" class="key-box mono" readOnly value={inviteLink(created.token)} data-testid="invite-link" onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <div class="form-actions start">
              <CopyButton value={inviteLink(created.token)} label={t('Invitation link')} />
            </div>
            <p class="muted small">{t('The link is shown only now. If it is lost, invite again.')}</p>
          </div>
        )}
      </Dialog>
      <Dialog open={Boolean(removing)} title={t('Remove from the team?')} onClose={() => setRemoving(null)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setRemoving(null)}>{t('Cancel')}</button>
            <button type="button" class="btn btn-danger" data-testid="confirm-remove"
              onClick={() => { const m = removing!; setRemoving(null); act(() => del(`${appPath(app.application_id)}/members/${encodeURIComponent(m.user_id)}`)); }}>
              {t('Remove')}
            </button>
          </>
        }>
        <p>{t('{email} will no longer see {app}.', { email: removing?.email || '', app: app.name })}</p>
      </Dialog>
    </>
  );
}

function RoleSelect({ label, value, options, onChange }: { label: string; value: InvitedRole; options: { value: InvitedRole; label: string }[]; onChange: (r: InvitedRole) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as InvitedRole)} data-testid="member-role">
      {options.map((o) => (
        <option key={o.value} value={o.value}>{o.label}</option>
      ))}
    </select>
  );
}

function InviteDialog({ app, roleOptions, onClose, onCreated }: { app: Application; roleOptions: { value: InvitedRole; label: string }[]; onClose: () => void; onCreated: (c: CreatedInvitation) => void }) {
  const t = useT();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<InvitedRole>('viewer');
  const { errors, setErrors, general, busy, run } = useSubmit();
  const submit = (e: Event) => {
    e.preventDefault();
    // The server's own check, made here first so its wording never shows.
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) return setErrors({ email: 'Enter the email address of the person to invite.' });
    run(async () => onCreated(await post<CreatedInvitation>(appPath(app.application_id) + '/invitations', { email: email.trim(), role })));
  };
  return (
    <Dialog open title={t('Invite someone')} onClose={onClose}
      footer={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose}>{t('Cancel')}</button>
          <button type="submit" form="invite-form" class="btn btn-primary" disabled={busy} data-testid="send-invite">{t('Create invitation')}</button>
        </>
      }>
      <form id="invite-form" class="stack" onSubmit={submit} noValidate>
        {general && <Alert>{t(general)}</Alert>}
        <TextInput label={t('Email')} name="email" type="email" value={email} onInput={setEmail} error={errors.email && t(errors.email)} autoComplete="off" required />
        <Select label={t('Role')} name="role" value={role} options={roleOptions} onChange={setRole} error={errors.role && t(errors.role)} hint={t(ROLE_HINT[role])} />
      </form>
    </Dialog>
  );
}

// ---------------------------------------------------------------- accepting an invitation
// An invitation link opened while signed out waits here through sign-in or registration.
let pendingInvite: string | null = null;
export function rememberInvite(token: string): void {
  pendingInvite = token;
}
/** Where to go after signing in: the invitation that was being opened (until its screen shows), else the Overview. */
export function afterSignIn(): string {
  return pendingInvite ? '/invite/' + encodeURIComponent(pendingInvite) : '/overview';
}

export function AcceptInvitation({ token }: { token: string }) {
  const t = useT();
  const { me, refreshApps, selectApp } = useSession();
  const [state, setState] = useState<{ kind: 'asking' } | { kind: 'joined'; app: Application } | { kind: 'failed'; message: string }>({ kind: 'asking' });
  const { general, busy, run } = useSubmit();
  useEffect(() => {
    pendingInvite = null;
    setState({ kind: 'asking' });
  }, [token]);
  const accept = () =>
    run(async () => {
      try {
        const app = await api<Application>('POST', '/invitations/accept', { body: { token } });
        await refreshApps();
        selectApp(app.application_id);
        setState({ kind: 'joined', app });
      } catch (err) {
        setState({ kind: 'failed', message: t(errorText(err, t)) });
      }
    });
  return (
    <>
      <PageHeader title={t('Join a team')} />
      <Card>
        {state.kind === 'asking' && (
          <div class="stack">
            <p>{t('You were invited to an application on Kirim. Accept to join it as {email}.', { email: me.email })}</p>
            {general && <Alert>{t(general)}</Alert>}
            <div>
              <button type="button" class="btn btn-primary" onClick={accept} disabled={busy} data-testid="accept-invite">{t('Accept invitation')}</button>
            </div>
          </div>
        )}
        {state.kind === 'joined' && (
          <div class="stack">
            <Alert kind="success">{t('You joined {app} as {role}.', { app: state.app.name, role: t(ROLE_LABEL[state.app.role]) })}</Alert>
            <div>
              <button type="button" class="btn btn-primary" onClick={() => navigate('/overview')} data-testid="go-overview">{t('Go to Overview')}</button>
            </div>
          </div>
        )}
        {state.kind === 'failed' && <Alert>{state.message}</Alert>}
      </Card>
    </>
  );
}
