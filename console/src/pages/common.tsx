import type { MessageItem } from '../api/types';
import { CHANNEL_LABEL } from '../channels';
import { useT, type T } from '../i18n';
import { Empty, PageHeader, StatusBadge, type Column } from '../ui';

export function NoApplication({ title }: { title: string }) {
  const t = useT();
  return (
    <>
      <PageHeader title={title} />
      <div class="card">
        <Empty icon="apps" message={t('You have no application yet.')} action={{ label: t('Create an application'), href: '#/applications?create=1' }} />
      </div>
    </>
  );
}

/** What every list of messages shows between a message's id and its time (Overview, Monitoring). */
export const messageColumns = (t: T): Column<MessageItem>[] => [
  { label: t('Channel'), cell: (m) => CHANNEL_LABEL[m.channel] },
  { label: t('Target'), cell: (m) => m.target },
  { label: t('Status'), cell: (m) => <StatusBadge status={m.status} channel={m.channel} /> },
];
