// Double bookings made offline on two workstations: each conflict shows both
// appointments side by side, with a way to move or cancel either.
import { useTranslation } from "react-i18next";
import { dayToBr } from "../../dates";
import type { Appointment, Conflict, Directory } from "../../types";

type Props = {
  conflicts: Conflict[];
  directory: Directory;
  canWrite: boolean;
  onMove: (a: Appointment) => void;
  onCancel: (a: Appointment) => void;
};

export function ConflictBanner({ conflicts, directory, canWrite, onMove, onCancel }: Props) {
  const { t } = useTranslation();
  if (conflicts.length === 0) return null;
  const prof = (id: string) => directory.professionals.find((p) => p.id === id)?.name ?? id;
  const chair = (id: string) => directory.chairs.find((c) => c.id === id)?.name ?? id;

  return (
    <section className="conflict-banner" data-testid="conflict-banner" aria-labelledby="conflicts-title" role="region">
      <h2 id="conflicts-title">
        {t("conflicts.title")} ({conflicts.length})
      </h2>
      <p className="small">{t("conflicts.help")}</p>
      <ul className="conflict-list">
        {conflicts.map((c) => (
          <li key={c.id} className="conflict" data-testid="conflict-item" data-id={c.id}>
            <h3>
              {c.resource === "professional"
                ? t("conflicts.professional", { name: prof(c.resource_id), day: dayToBr(c.day) })
                : t("conflicts.chair", { name: chair(c.resource_id), day: dayToBr(c.day) })}
            </h3>
            <div className="conflict-pair">
              {c.appointments.map((a) => (
                <div key={a.id} className="conflict-appt" data-testid="conflict-appointment" data-id={a.id}>
                  <strong>{a.patient_name ?? t("agenda.unknownPatient")}</strong>
                  <span>
                    {t("conflicts.appointment", {
                      time: `${a.start.split(" ")[1]}–${a.end.split(" ")[1] ?? ""}`,
                      duration: a.duration_min,
                      status: t(`status.${a.status}`),
                    })}
                  </span>
                  <span className="muted">
                    {t("conflicts.at", { professional: prof(a.professional_id), chair: chair(a.chair_id) })}
                  </span>
                  {canWrite && (
                    <span className="conflict-actions">
                      <button
                        type="button"
                        className="secondary small-button"
                        data-testid="conflict-move"
                        data-id={a.id}
                        onClick={() => onMove(a)}
                      >
                        {t("conflicts.move")}
                      </button>
                      <button
                        type="button"
                        className="danger-outline small-button"
                        data-testid="conflict-cancel"
                        data-id={a.id}
                        onClick={() => onCancel(a)}
                      >
                        {t("conflicts.cancel")}
                      </button>
                    </span>
                  )}
                </div>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
