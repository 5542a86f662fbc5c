// WhatsApp settings for admin and gerente: the clinic's numbers (on the
// server), appointment reminders and the templates approved for the
// clinic's account (both in the directory).
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { useLoaded } from "../../hooks";
import { Loading } from "../../components/Loading";
import type { WhatsappTemplate } from "../../types";
import { NumbersCard } from "./NumbersCard";
import { ReminderForm } from "./ReminderForm";

export function WhatsappSettingsScreen() {
  const { t } = useTranslation();
  const { data: settings, error, setData: setSettings } = useLoaded(api.whatsappSettings);

  if (!settings) return <Loading error={error} label={t("whatsapp.loading")} />;

  const templates = Object.entries(settings.templates);
  return (
    <section
      className="screen whatsapp-settings"
      data-testid="whatsapp-settings-screen"
      aria-labelledby="whatsapp-settings-title"
    >
      <div className="screen-head">
        <h1 id="whatsapp-settings-title">{t("whatsapp.title")}</h1>
      </div>
      <NumbersCard />
      <ReminderForm settings={settings} onSaved={setSettings} />
      <section className="card" aria-labelledby="templates-title" data-testid="whatsapp-templates">
        <h2 id="templates-title">{t("whatsapp.templates")}</h2>
        <p className="muted small">{t("whatsapp.templatesHelp")}</p>
        {templates.length === 0 ? (
          <p className="muted">{t("whatsapp.noTemplates")}</p>
        ) : (
          <ul className="template-list">
            {templates.map(([key, tpl]) => (
              <TemplateItem key={key} id={key} template={tpl} reminder={settings.reminder?.template === key} />
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function TemplateItem({ id, template: tpl, reminder }: { id: string; template: WhatsappTemplate; reminder: boolean }) {
  const { t } = useTranslation();
  return (
    <li className="template-item" data-testid="whatsapp-template" data-key={id}>
      <h3>
        <code>{tpl.name}</code>
        <span className="muted small">{tpl.language}</span>
        <span className="muted small">{t("whatsapp.params", { count: tpl.params })}</span>
        {reminder && <span className="tag">{t("whatsapp.usedForReminders")}</span>}
      </h3>
      <p className="template-body">
        <BodyWithParams body={tpl.body} />
      </p>
      {tpl.buttons.length > 0 && (
        <p className="template-buttons small">
          <span className="muted">{t("whatsapp.buttons")}</span>
          {tpl.buttons.map((b, i) => (
            <span key={`${i}-${b}`} className="tag">
              {b}
            </span>
          ))}
        </p>
      )}
    </li>
  );
}

/** The body as approved, its {{n}} placeholders marked. */
function BodyWithParams({ body }: { body: string }) {
  const parts = body.split(/(\{\{\s*\d+\s*\}\})/g);
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <span key={i} className="template-param">
            {p.replace(/\s+/g, "")}
          </span>
        ) : (
          p
        ),
      )}
    </>
  );
}
