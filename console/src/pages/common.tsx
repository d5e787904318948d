import { useT } from '../i18n';
import { Empty, PageHeader } from '../ui';

export function NoApplication({ title }: { title: string }) {
  const t = useT();
  return (
    <>
      <PageHeader title={title} />
      <div class="card">
        <Empty icon="apps">
          <p>{t('You have no application yet.')}</p>
          <a class="btn btn-primary" href="#/applications?create=1">
            {t('Create an application')}
          </a>
        </Empty>
      </div>
    </>
  );
}
