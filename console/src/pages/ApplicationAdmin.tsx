// Details App's last card: rename the application, or delete it after typing its name
// (PATCH and DELETE /applications/{id}). Deleting revokes every key at once.
import { useState } from 'preact/hooks';
import { api, appPath, patch } from '../api/client';
import type { Application } from '../api/types';
import { useT } from '../i18n';
import { navigate } from '../router';
import { useSession } from '../state';
import { Alert, Card, Dialog, TextInput, errorText, useSubmit } from '../ui';

const NAME_MAX = 100;

export function ApplicationAdmin({ app, onRenamed }: { app: Application; onRenamed: (fresh: Application) => void }) {
  const t = useT();
  const session = useSession();
  const [name, setName] = useState(app.name);
  const [nameError, setNameError] = useState('');
  const [saved, setSaved] = useState(false);
  const rename = useSubmit();
  const [deleting, setDeleting] = useState(false);
  const [typed, setTyped] = useState('');
  const [deleteError, setDeleteError] = useState('');
  const [busy, setBusy] = useState(false);

  const submitName = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const wanted = name.trim();
    if (!wanted || wanted.length > NAME_MAX) {
      setNameError(t('Enter a name of 1 to 100 characters.'));
      return;
    }
    setNameError('');
    rename.run(async () => {
      const fresh = await patch<Application>(appPath(app.application_id), { name: wanted });
      session.updateApp(fresh);
      onRenamed(fresh);
      setName(fresh.name);
      setSaved(true);
    });
  };
  const remove = async () => {
    setBusy(true);
    setDeleteError('');
    try {
      await api('DELETE', appPath(app.application_id), { body: { confirm_name: typed } });
      setDeleting(false);
      // The refreshed list has it no more: the selector falls to another application.
      await session.refreshApps().catch(() => undefined);
      navigate('/applications');
    } catch (err) {
      setDeleteError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setDeleting(false);
    setTyped('');
    setDeleteError('');
  };

  return (
    <Card title={t('Manage application')}>
      <form class="inline-form" onSubmit={submitName} noValidate data-testid="rename-form">
        <TextInput label={t('Application Name')} name="rename" value={name} onInput={(v) => (setName(v), setSaved(false))} error={nameError} />
        <button type="submit" class="btn btn-secondary" disabled={rename.busy}>
          {t('Save name')}
        </button>
      </form>
      {rename.general && <Alert>{rename.general}</Alert>}
      {saved && <Alert kind="success">{t('Name saved.')}</Alert>}
      <div class="danger-zone">
        <p class="muted small">{t('Deleting this application stops all its keys at once. Its messages stay in your records; its remaining quota is lost.')}</p>
        <button type="button" class="btn btn-danger-ghost" onClick={() => setDeleting(true)} data-testid="delete-app">
          {t('Delete application')}
        </button>
      </div>
      <Dialog
        open={deleting}
        title={t('Delete {name}?', { name: app.name })}
        onClose={close}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={close}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-danger" disabled={busy || typed !== app.name} onClick={remove}>
              {t('Yes, Delete')}
            </button>
          </>
        }
      >
        <Alert kind="warning">{t('Every key of this application stops working at once, and this cannot be undone.')}</Alert>
        {deleteError && <Alert>{deleteError}</Alert>}
        <TextInput label={t('Type the application name ({name}) to confirm', { name: app.name })} name="confirm-name" value={typed} onInput={setTyped} />
      </Dialog>
    </Card>
  );
}
