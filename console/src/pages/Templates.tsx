import { useState } from 'preact/hooks';
import { appPath, del, get } from '../api/client';
import type { Template, TemplateList, TemplateStatus } from '../api/types';
import { rejectionText } from '../errors';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import type { Route } from '../router';
import { useSession } from '../state';
import { Alert, Card, Dialog, Empty, Icon, PageHeader, Select, StatusBadge, Table, WhenLoaded, errorText, useLoad } from '../ui';
import { NoApplication } from './common';
import { languageName } from '../languages';
import { TemplateEditor } from './TemplateForm';

export function Templates({ route }: { route: Route }) {
  const t = useT();
  const { app } = useSession();
  if (!app) return <NoApplication title={t('WhatsApp Template')} />;
  if (!app.channels.some((c) => c.channel === 'whatsapp')) {
    return (
      <>
        <PageHeader title={t('WhatsApp Template')} />
        <div class="card">
          <Empty icon="template" message={t('This application has no WhatsApp channel.')} />
        </div>
      </>
    );
  }
  const id = route.path[1];
  if (id) return <TemplateEditor key={app.application_id + id} applicationId={app.application_id} templateId={id === 'new' ? null : id} maskingName={app.name} />;
  return <TemplateListPage applicationId={app.application_id} notice={route.query.get('notice')} />;
}

const CATEGORY_LABEL: Record<string, string> = { MARKETING: 'Marketing', UTILITY: 'Utility', AUTHENTICATION: 'Authentication' };

function TemplateListPage({ applicationId, notice }: { applicationId: string; notice: string | null }) {
  const t = useT();
  const { lang } = useLang();
  const [status, setStatus] = useState<'' | TemplateStatus>('');
  const loaded = useLoad((signal) => get<TemplateList>(appPath(applicationId) + '/whatsapp/templates', { status }, signal), [applicationId, status]);
  const [deleting, setDeleting] = useState<Template | null>(null);
  const [error, setError] = useState('');
  const remove = async (tpl: Template) => {
    try {
      await del(`${appPath(applicationId)}/whatsapp/templates/${tpl.template_id}`);
      setDeleting(null);
      loaded.reload();
    } catch (err) {
      setDeleting(null);
      setError(errorText(err, t));
    }
  };
  return (
    <>
      <PageHeader title={t('WhatsApp Template')}>
        <a class="btn btn-primary" href="#/templates/new">
          <Icon name="plus" size={18} />
          {t('Add Template')}
        </a>
      </PageHeader>
      {notice && <Alert kind="success">{t(notice)}</Alert>}
      {error && <Alert>{error}</Alert>}
      <div class="filters card">
        <Select
          label={t('Status')}
          name="template-status"
          value={status}
          onChange={setStatus}
          options={[
            { value: '', label: t('All statuses') },
            { value: 'DRAFT', label: t('DRAFT') },
            { value: 'SUBMITTED', label: t('SUBMITTED') },
            { value: 'APPROVED', label: t('APPROVED') },
            { value: 'REJECTED', label: t('REJECTED') },
          ]}
        />
      </div>
      <Card>
        <WhenLoaded loaded={loaded} data={loaded.data?.items}>
          {(items) => (
            <Table testid="templates" label={t('WhatsApp Template')} rows={items} rowKey={(tpl) => tpl.template_id} rowAttrs={(tpl) => ({ 'data-name': tpl.name })}
              empty={{ icon: 'template', message: status ? t('No templates with this status.') : t('No templates yet.'), action: !status && { label: t('Add Template'), href: '#/templates/new' } }}
              columns={[
                {
                  label: t('Name'),
                  class: 'wrap-any',
                  cell: (tpl) => (
                    <>
                      <a class="strong" href={`#/templates/${tpl.template_id}`}>
                        {tpl.name}
                      </a>
                      <div class="muted mono small">{tpl.template_code_id}</div>
                      {tpl.rejection_reason && (
                        <div class="rejection">
                          {t('Rejection reason')}: {rejectionText(tpl.rejection_reason, t)}
                        </div>
                      )}
                    </>
                  ),
                },
                { label: t('Category'), cell: (tpl) => (tpl.category ? t(CATEGORY_LABEL[tpl.category] || tpl.category) : '—') },
                { label: t('Language'), cell: (tpl) => languageName(tpl.language, lang) },
                { label: t('Status'), cell: (tpl) => <StatusBadge status={tpl.status} label={t(tpl.status)} /> },
                { label: t('Updated'), cell: (tpl) => formatTime(tpl.updated_at, lang) },
                {
                  label: t('Edit'),
                  action: true,
                  class: 'nowrap',
                  cell: (tpl) => (
                    <>
                      {(tpl.status === 'DRAFT' || tpl.status === 'REJECTED') && (
                        <a class="btn btn-secondary btn-small" href={`#/templates/${tpl.template_id}`} aria-label={`${t('Edit')} ${tpl.name}`}>
                          {t('Edit')}
                        </a>
                      )}{' '}
                      <button type="button" class="btn btn-danger-ghost btn-small" onClick={() => setDeleting(tpl)} aria-label={`${t('Delete')} ${tpl.name}`}>
                        {t('Delete')}
                      </button>
                    </>
                  ),
                },
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      <Dialog
        open={Boolean(deleting)}
        title={deleting ? t('Delete template {name}?', { name: deleting.name }) : ''}
        onClose={() => setDeleting(null)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setDeleting(null)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-danger" onClick={() => deleting && remove(deleting)}>
              {t('Yes, Delete')}
            </button>
          </>
        }
      >
        <p>{deleting?.template_code_id}</p>
      </Dialog>
    </>
  );
}
