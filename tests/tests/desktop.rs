//! The desktop app end to end: the real release binary, driven through
//! tauri-driver and WebKitWebDriver under Xvfb, against a real
//! arcada-server. Two app instances, each with its own data directory, work
//! through the server, then through an outage; the clinic's WhatsApp
//! number is served by `arcada-wa-sim` (Meta's side, on loopback).
//!
//! Screenshots of every screen go to `target/<profile>/e2e-screenshots`, or
//! to `ARCADA_SCREENSHOTS` (`ARCADA_SCREENSHOTS=$PWD/docs/screenshots` renews
//! the set the README shows).

use std::path::Path;

use anyhow::{ensure, Context, Result};
use arcada_tests::desktop::{App, Display, Tools};
use arcada_tests::proxy::TcpProxy;
use arcada_tests::wa_sim::{WaSim, GRAPH_VERSION};
use arcada_tests::workstation::Workstation;
use arcada_tests::ServerProcess;
use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};

const PASSWORD: &str = "correct horse battery";
const ADMIN: &str = "admin@sorriso.com.br";
const DESK: &str = "recepcao@sorriso.com.br";
const DENTIST: &str = "dentista@sorriso.com.br";
/// The platform's Meta app, and each clinic's WhatsApp number.
const WA_SECRET: &str = "e2e-app-secret";
const WA_VERIFY: &str = "e2e-verify-token";
const WA_KEY: &str = "4f3c2b1a00112233445566778899aabbccddeeff00112233445566778899aabb";
const NUMBER: &str = "106540352242922";
const OTHER_NUMBER: &str = "106540352249999";
const WA_TOKEN: &str = "EAAG-e2e-token";

/// The next Monday after today: a working day whose slots are all in the
/// future, whatever day the test runs.
fn next_monday() -> NaiveDate {
    let today = chrono::Local::now().date_naive();
    let ahead = 7 - today.weekday().num_days_from_monday() as i64;
    let day = today + Duration::days(ahead);
    debug_assert_eq!(day.weekday(), Weekday::Mon);
    day
}

/// A server with one clinic: two professionals, two chairs, an admin and a
/// receptionist. Reached through a proxy, so it can stop and come back on
/// another port behind the same address.
struct Clinic {
    storage: Vec<String>,
    serve: Vec<String>,
    server: Option<ServerProcess>,
    proxy: TcpProxy,
    professional: String,
    org: uuid::Uuid,
    sim: WaSim,
    /// The admin's command-line workstation.
    cli: Workstation,
}

impl Clinic {
    fn start(root: &Path) -> Result<Clinic> {
        let storage = vec![
            "--data".to_string(),
            root.join("server").display().to_string(),
            "--wa-token-key".to_string(),
            WA_KEY.to_string(),
        ];
        let org = arcada_tests::admin(
            &storage,
            &[
                "create-org",
                "--name",
                "Clínica Sorriso",
                "--admin-email",
                ADMIN,
            ],
            PASSWORD,
        )?;
        arcada_tests::admin(
            &storage,
            &[
                "add-user",
                "--org",
                org.trim(),
                "--email",
                DESK,
                "--role",
                "recepcao",
            ],
            PASSWORD,
        )?;
        arcada_tests::admin(
            &storage,
            &[
                "add-user",
                "--org",
                org.trim(),
                "--email",
                DENTIST,
                "--role",
                "clinico",
            ],
            PASSWORD,
        )?;
        // WhatsApp: this clinic's number and another clinic's, both on the
        // simulator, whose webhooks reach the server through the proxy.
        let other = arcada_tests::admin(
            &storage,
            &[
                "create-org",
                "--name",
                "Clínica Outra",
                "--admin-email",
                "admin@outra.com.br",
            ],
            PASSWORD,
        )?;
        let sim = WaSim::start(&["--app-secret", WA_SECRET])?;
        for (org, number) in [(org.trim(), NUMBER), (other.trim(), OTHER_NUMBER)] {
            arcada_tests::admin(
                &storage,
                &[
                    "wa-add-number",
                    "--org",
                    org,
                    "--phone-number-id",
                    number,
                    "--display-number",
                    "+55 11 3333-4444",
                    "--waba-id",
                    "102290129340398",
                ],
                WA_TOKEN,
            )?;
            sim.add_number(number, WA_TOKEN, "+55 11 3333-4444")?;
        }
        let serve = vec![
            "--wa-app-secret".to_string(),
            WA_SECRET.to_string(),
            "--wa-verify-token".to_string(),
            WA_VERIFY.to_string(),
            "--wa-graph-url".to_string(),
            format!("{}/{GRAPH_VERSION}", sim.url),
            "--wa-reminder-interval".to_string(),
            "1".to_string(),
        ];
        let serve_args: Vec<&str> = serve.iter().map(String::as_str).collect();
        let server = ServerProcess::start(&storage, &serve_args, &[])?;
        let proxy = TcpProxy::start(&server.url)?;
        sim.config(&serde_json::json!({
            "webhook_url": format!("{}/webhooks/whatsapp", proxy.url())
        }))?;
        // The clinic's people and rooms, set up from the command line.
        let cli = Workstation::new(&root.join("cli"));
        cli.login(&proxy.url(), ADMIN, PASSWORD)?;
        cli.ok(&["sync"])?;
        let ana = cli.json(&["professional", "add", "--name", "Dra. Ana Lima"])?;
        cli.ok(&["professional", "add", "--name", "Dr. Bruno Reis"])?;
        cli.ok(&["chair", "add", "--name", "Cadeira 1"])?;
        cli.ok(&["chair", "add", "--name", "Cadeira 2"])?;
        cli.ok(&["sync"])?;
        Ok(Clinic {
            storage,
            serve,
            server: Some(server),
            proxy,
            professional: ana["id"].as_str().context("professional id")?.to_string(),
            org: org.trim().parse()?,
            sim,
            cli,
        })
    }

    fn stop(&mut self) {
        self.server = None;
    }

    fn restart(&mut self) -> Result<()> {
        let serve: Vec<&str> = self.serve.iter().map(String::as_str).collect();
        let server = ServerProcess::start(&self.storage, &serve, &[])?;
        self.proxy.retarget(&server.url)?;
        self.server = Some(server);
        Ok(())
    }
}

async fn log_in(app: &App, server: &str, email: &str) -> Result<()> {
    app.fill("login-server", server).await?;
    app.fill("login-email", email).await?;
    app.fill("login-password", PASSWORD).await?;
    app.click("login-submit").await?;
    app.find("nav-patients").await?;
    Ok(())
}

/// Opens the agenda's day view on `day`.
async fn agenda_on(app: &App, day: NaiveDate) -> Result<()> {
    app.click("nav-agenda").await?;
    app.click("agenda-view-day").await?;
    app.click("agenda-group-professional").await?;
    let input = app.find("agenda-date").await?;
    app.set_value(&input, &day.to_string()).await?;
    Ok(())
}

/// Books `patient` (found by typing `search`) at `start` with `professional`
/// by clicking the slot; returns the new appointment's id.
async fn book(app: &App, professional: &str, start: &str, search: &str) -> Result<String> {
    let before = appointment_ids(app).await?;
    let slot = app
        .find_css(&format!(
            "[data-testid=\"agenda-slot\"][data-start=\"{start}\"][data-professional=\"{professional}\"]"
        ))
        .await?;
    slot.click().await?;
    app.fill("booking-patient", search).await?;
    app.click("booking-patient-option").await?;
    app.click("booking-save").await?;
    app.until("the new appointment on the agenda", || async {
        Ok(appointment_ids(app)
            .await?
            .iter()
            .any(|id| !before.contains(id)))
    })
    .await?;
    appointment_ids(app)
        .await?
        .into_iter()
        .find(|id| !before.contains(id))
        .context("new appointment")
}

async fn appointment_ids(app: &App) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for card in app.all("appointment").await? {
        if let Some(id) = card.attr("data-id").await? {
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn sync_state(app: &App) -> Result<String> {
    Ok(app
        .attr("sync-indicator", "data-state")
        .await?
        .unwrap_or_default())
}

/// The number in the pending-changes text ("3 alterações pendentes").
async fn pending(app: &App) -> Result<u64> {
    let text = app.text("sync-pending").await.unwrap_or_default();
    Ok(text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

#[test]
fn two_desktops_work_through_the_server_and_through_an_outage() -> Result<()> {
    let Some(tools) = Tools::or_skip() else {
        return Ok(());
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            // A WebDriver call that never answers must not hang the suite.
            tokio::time::timeout(std::time::Duration::from_secs(600), story(tools))
                .await
                .context("the end-to-end story took over 10 minutes")?
        })
}

/// Says where the story is, for a failure's log.
fn step(what: &str) {
    eprintln!("[desktop e2e] {what}");
}

async fn story(tools: Tools) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let mut clinic = Clinic::start(tmp.path())?;
    let server = clinic.proxy.url();
    let display = Display::start(&tools)?;
    let monday = next_monday();

    // Workstation A: the first run shows the login screen.
    step("Workstation A: the first run shows the login screen.");
    let a = App::launch(
        &tools,
        &display,
        "a",
        &tmp.path().join("a/data"),
        &tmp.path().join("a/config"),
    )
    .await?;
    a.find("login-email").await?;
    a.screenshot("login").await?;
    log_in(&a, &server, ADMIN).await?;
    a.click("nav-patients").await?;
    a.find("patient-search").await?;
    a.screenshot("patients").await?;

    // A new patient with a CPF whose check digit is wrong: a pt-BR error on
    // the CPF field, and nothing saved.
    step("a new patient with a wrong CPF check digit");
    a.click("patient-new").await?;
    a.fill("patient-form-name", "João da Silva").await?;
    a.fill("patient-form-cpf", "529.982.247-24").await?;
    a.fill("patient-form-phone", "(11) 98765-4321").await?;
    a.click("patient-form-save").await?;
    let error = a.text("patient-form-error-cpf").await?;
    ensure!(
        error.contains("CPF") && error.to_lowercase().contains("inválido"),
        "expected a pt-BR CPF error, got {error:?}"
    );
    a.screenshot("patient-form-error").await?;
    step("the CPF corrected, saved");
    a.fill("patient-form-cpf", "529.982.247-25").await?;
    a.click("patient-form-save").await?;
    a.find("patient-page").await?;
    ensure!(a.text("patient-name").await?.contains("João da Silva"));
    a.screenshot("patient").await?;

    // Found by typing without accents.
    step("Found by typing without accents.");
    a.click("nav-patients").await?;
    a.fill("patient-search", "joao").await?;
    a.until("João among the results", || async {
        for row in a.all("patient-row").await? {
            if row.text().await?.contains("João da Silva") {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;

    // Book Monday 09:00 with Dra. Ana.
    step("Book Monday 09:00 with Dra. Ana.");
    agenda_on(&a, monday).await?;
    let first = book(&a, &clinic.professional, &format!("{monday} 09:00"), "joao").await?;
    a.screenshot("agenda-day").await?;

    // Workstation B, the front desk, sees it through the server.
    step("Workstation B, the front desk, sees it through the server.");
    let b = App::launch(
        &tools,
        &display,
        "b",
        &tmp.path().join("b/data"),
        &tmp.path().join("b/config"),
    )
    .await?;
    log_in(&b, &server, DESK).await?;
    agenda_on(&b, monday).await?;
    b.find_css(&format!(
        "[data-testid=\"appointment\"][data-id=\"{first}\"]"
    ))
    .await
    .context("A's appointment on B")?;
    b.click("agenda-view-week").await?;
    b.screenshot("agenda-week").await?;
    b.click("agenda-view-day").await?;

    // The server goes away: A books anyway, shows offline and the change
    // waiting for the server.
    step("the server goes away; A books offline");
    clinic.stop();
    let offline = book(&a, &clinic.professional, &format!("{monday} 10:00"), "joao").await?;
    a.until("A offline with a pending change", || async {
        Ok(sync_state(&a).await? == "offline" && pending(&a).await? >= 1)
    })
    .await?;
    a.screenshot("offline").await?;

    // The server comes back: A sends it, B receives it, both agree.
    step("The server comes back: A sends it, B receives it, both agree.");
    clinic.restart()?;
    a.until("A up to date", || async {
        Ok(sync_state(&a).await? == "up_to_date" && pending(&a).await? == 0)
    })
    .await?;
    b.until("the offline booking on B", || async {
        let ids = appointment_ids(&b).await?;
        Ok(ids.contains(&first) && ids.contains(&offline))
    })
    .await?;
    let (mut on_a, mut on_b) = (appointment_ids(&a).await?, appointment_ids(&b).await?);
    on_a.sort();
    on_b.sort();
    ensure!(on_a == on_b, "A shows {on_a:?}, B shows {on_b:?}");

    chart_story(&tools, &display, tmp.path(), &server, &a, &b).await?;
    inbox_story(&mut clinic, &b).await?;
    taken_story(&clinic, &a, &b).await?;
    reminder_story(&clinic, &a, &b).await?;
    a.close().await?;
    b.close().await?;
    Ok(())
}

/// Opens the page of the patient found by typing `search`.
async fn open_patient(app: &App, search: &str) -> Result<()> {
    app.click("nav-patients").await?;
    app.fill("patient-search", search).await?;
    app.until("the patient in the results", || async {
        Ok(!app.all("patient-row").await?.is_empty())
    })
    .await?;
    app.click("patient-row").await?;
    app.find("patient-page").await?;
    Ok(())
}

/// Sets a form field found by CSS.
async fn set(app: &App, css: &str, value: &str) -> Result<()> {
    let field = app.find_css(css).await?;
    app.set_value(&field, value).await
}

async fn entry_rows(app: &App, region: &str) -> Result<usize> {
    Ok(app
        .client
        .find_all(fantoccini::Locator::Css(&format!(
            "[data-testid=\"entries\"] [data-testid=\"entry-row\"][data-region=\"{region}\"]"
        )))
        .await?
        .len())
}

/// The clinical chart: the admin (a dentist too) charts tooth 36 and signs a
/// note on A; the chart as of yesterday shows none of it; the front desk (B)
/// never sees the chart; a dentist on a third workstation sees A's entry.
async fn chart_story(
    tools: &Tools,
    display: &Display,
    root: &Path,
    server: &str,
    a: &App,
    b: &App,
) -> Result<()> {
    step("A opens João's chart and charts a resin restoration on 36-O");
    open_patient(a, "joao").await?;
    a.click("open-chart").await?;
    a.find("odontogram").await?;
    let face = a.find_css("[data-surface=\"36-O\"]").await?;
    a.click_element(&face).await?;
    let form = "[data-testid=\"entry-form\"]";
    set(
        a,
        &format!("{form} select[name=\"code\"]"),
        "restauracao-resina",
    )
    .await?;
    set(a, &format!("{form} select[name=\"status\"]"), "planejado").await?;
    let pro = a
        .find_css(&format!(
            "{form} select[name=\"professional_id\"] option[value]:not([value=\"\"])"
        ))
        .await?
        .attr("value")
        .await?
        .context("a professional to choose")?;
    set(a, &format!("{form} select[name=\"professional_id\"]"), &pro).await?;
    set(a, &format!("{form} input[name=\"phase\"]"), "1").await?;
    a.click("entry-save").await?;
    a.until("the entry on 36", || async {
        Ok(entry_rows(a, "36").await? == 1)
    })
    .await?;
    a.scroll_to_top().await?;
    a.screenshot("chart-odontogram").await?;

    step("the chart as of yesterday does not have it");
    let yesterday = chrono::Local::now().date_naive() - Duration::days(1);
    set(a, "input[data-testid=\"as-of\"]", &yesterday.to_string()).await?;
    a.find("as-of-banner").await?;
    a.until("no entry on 36 as of yesterday", || async {
        Ok(entry_rows(a, "36").await? == 0)
    })
    .await?;
    a.screenshot("chart-as-of").await?;
    a.click("as-of-clear").await?;
    a.until("the entry back", || async {
        Ok(entry_rows(a, "36").await? == 1)
    })
    .await?;

    step("A writes and signs an evolution note");
    a.click("chart-tab-notes").await?;
    a.click("note-new").await?;
    let text = a
        .find_css("[data-testid=\"note-composer\"] textarea[name=\"note_text\"]")
        .await?;
    a.set_value(
        &text,
        "Cárie oclusal no 36; restauração em resina planejada.",
    )
    .await?;
    set(
        a,
        "[data-testid=\"note-composer\"] select[name=\"professional_id\"]",
        &pro,
    )
    .await?;
    a.click("note-save").await?;
    a.click("note-sign").await?;
    a.click("sign-confirm").await?;
    a.find_css("[data-note-id][data-signed=\"true\"]").await?;
    a.find("note-hash").await?;
    a.screenshot("chart-notes").await?;
    a.click("chart-tab-plan").await?;
    a.find("plan-total").await?;
    a.screenshot("chart-plan").await?;

    step("B, the front desk, has no chart");
    open_patient(b, "joao").await?;
    b.find("patient-name").await?;
    ensure!(
        b.all("open-chart").await?.is_empty(),
        "the front desk must not be offered the chart"
    );

    step("C, a dentist's workstation, sees A's entry on 36");
    let c = App::launch(
        tools,
        display,
        "c",
        &root.join("c/data"),
        &root.join("c/config"),
    )
    .await?;
    log_in(&c, server, DENTIST).await?;
    open_patient(&c, "joao").await?;
    c.click("open-chart").await?;
    c.until("A's entry on 36 on C", || async {
        Ok(entry_rows(&c, "36").await? == 1)
    })
    .await?;
    c.find_css("[data-tooth=\"36\"][data-has-entries=\"true\"]")
        .await?;
    c.click("chart-tab-notes").await?;
    c.find_css("[data-note-id][data-signed=\"true\"]").await?;
    c.close().await?;
    Ok(())
}

/// "Oi" from João's WhatsApp reaches the front desk's inbox, linked to
/// João, and only this clinic's; the reply reaches WhatsApp (the simulator)
/// once, and its delivery comes back.
async fn inbox_story(clinic: &mut Clinic, b: &App) -> Result<()> {
    const JOAO: &str = "5511987654321";
    const REPLY: &str = "Olá, João! Como podemos ajudar?";
    step("João writes \"Oi\" on WhatsApp; another clinic's patient writes to that clinic");
    clinic.sim.inbound_text(NUMBER, JOAO, "João", "Oi")?;
    clinic
        .sim
        .inbound_text(OTHER_NUMBER, "5521988887777", "Pedro", "Oi, outra clínica")?;
    let id = arcada_core::documents::conversation_id(clinic.org, NUMBER, JOAO).to_string();
    b.click("nav-inbox").await?;
    b.until("João's conversation in B's inbox", || async {
        Ok(!b.all(&format!("inbox-row-{id}")).await?.is_empty())
    })
    .await?;
    // The row names the linked patient and shows the message. Its DOM
    // text, not WebDriver's visible text: WebKitWebDriver leaves out the
    // ellipsised (overflow: hidden) spans it is written in.
    let row = b.find(&format!("inbox-row-{id}")).await?;
    let row = row.prop("textContent").await?.unwrap_or_default();
    ensure!(
        row.contains("João da Silva") && row.contains("Oi"),
        "the row should name the linked patient and show the message: {row:?}"
    );
    ensure!(b.text(&format!("inbox-unread-{id}")).await?.trim() == "1");
    let rows = b.all_css("[data-testid^=\"inbox-row-\"]").await?;
    ensure!(
        rows.len() == 1,
        "only this clinic's conversation: {} rows",
        rows.len()
    );
    b.screenshot("inbox").await?;

    step("B answers; the reply reaches WhatsApp once and comes back delivered");
    b.click(&format!("inbox-row-{id}")).await?;
    b.find("inbox-thread").await?;
    b.fill("inbox-reply", REPLY).await?;
    b.click("inbox-send").await?;
    let sent = |records: &[arcada_tests::wa_sim::SentRecord]| {
        records
            .iter()
            .filter(|r| r.to == JOAO && r.body["text"]["body"] == REPLY)
            .count()
    };
    b.until("the reply at the simulator", || async {
        Ok(sent(&clinic.sim.sent()?) > 0)
    })
    .await?;
    b.until("the reply delivered on B", || async {
        let statuses = b.all_css("[data-testid^=\"msg-status-\"]").await?;
        for s in statuses {
            if s.text().await?.to_lowercase().contains("entregue") {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;
    ensure!(
        sent(&clinic.sim.sent()?) == 1,
        "the reply went more than once"
    );

    step("João sends a photo: the server fetches it from WhatsApp, B's thread shows it");
    // A small drawing of a tooth (96×64 PNG), sent as WhatsApp would.
    let png = arcada_core::protocol::decode(
        "iVBORw0KGgoAAAANSUhEUgAAAGAAAABACAIAAABqVuVZAAAAyUlEQVR42u3buw0CQRBEwc6ATDHJHOcsMkCC/TFDSR1BeXfzNrfH3d4sCAABAgQIECBAgPbuup6f7i+AvnA5K5VCLkekUpRmG1NK02xgSg+ddUbpQbOOKc10phuln85co7TUmWiUrjqzjACtB/pZnSlG6a0zbgRoJVAJnUEjQMuACumMGAECBAgQIECAAAECBAgQoEpAvuYB+aMI6DyQq4a7GCC3eXVHhbpDH6Qw0yiqXHXSSvt+pb23Gl77eC9mgAABAgQIUMu9AGKfBH+X7VcnAAAAAElFTkSuQmCC",
    )?;
    let media_id = clinic.sim.upload_media(&png, "image/png", None)?;
    let photo = clinic.sim.inbound(&serde_json::json!({
        "phone_number_id": NUMBER,
        "from": JOAO,
        "name": "João",
        "image": {"media_id": media_id, "mime_type": "image/png", "caption": "A foto do dente"},
    }))?;
    let image = format!("[data-testid=\"msg-image-{}\"]", photo.wamid);
    let shown = || async {
        for img in b.all_css(&image).await? {
            // The data URL carries the very bytes WhatsApp had.
            let src = img.attr("src").await?.unwrap_or_default();
            if src.ends_with(&arcada_core::protocol::encode(&png)) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    b.until("the photo in B's thread", shown).await?;
    b.screenshot("inbox-thread").await?;

    step("the server goes away: the photo, kept on B, still shows");
    clinic.stop();
    b.click("nav-agenda").await?;
    b.click("nav-inbox").await?;
    b.click(&format!("inbox-row-{id}")).await?;
    b.find("inbox-thread").await?;
    b.until("the photo in B's thread, offline", shown).await?;
    clinic.restart()?;
    Ok(())
}

/// The front desk (B) takes João's conversation and labels it "retorno";
/// the admin's inbox (A) shows who is answering it, by e-mail, though B's
/// user never signed in on A, and the label.
async fn taken_story(clinic: &Clinic, a: &App, b: &App) -> Result<()> {
    const JOAO: &str = "5511987654321";
    step("B takes João's conversation and labels it; A's inbox shows who answers, and the label");
    let id = arcada_core::documents::conversation_id(clinic.org, NUMBER, JOAO).to_string();
    b.click("nav-inbox").await?;
    b.click(&format!("inbox-row-{id}")).await?;
    b.click("inbox-take").await?;
    b.until("the conversation taken on B", || async {
        Ok(!b.all(&format!("inbox-assignee-{id}")).await?.is_empty())
    })
    .await?;
    let on_b = b.find(&format!("inbox-assignee-{id}")).await?;
    let on_b = on_b.prop("textContent").await?.unwrap_or_default();
    ensure!(on_b == "com você", "B's row: {on_b:?}");
    b.fill("inbox-tag-input", "retorno").await?;
    b.click("inbox-tag-add").await?;
    a.click("nav-inbox").await?;
    a.until("who answers, on A", || async {
        for tag in a.all(&format!("inbox-assignee-{id}")).await? {
            if tag.prop("textContent").await?.unwrap_or_default() == format!("com {DESK}") {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;
    a.until("B's label, on A", || async {
        for tags in a.all(&format!("inbox-tags-{id}")).await? {
            if tags.prop("textContent").await?.unwrap_or_default() == "retorno" {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;
    a.screenshot("inbox-taken").await?;
    Ok(())
}

/// A reminder goes out for João's appointment in three hours; he taps
/// "Confirmar" and both workstations' agendas show it confirmado.
async fn reminder_story(clinic: &Clinic, a: &App, b: &App) -> Result<()> {
    const JOAO: &str = "5511987654321";
    step("the admin sees the clinic's WhatsApp number (from the server), not another clinic's");
    a.click("nav-whatsapp-settings").await?;
    a.until("the clinic's number in A's settings", || async {
        Ok(!a.all(&format!("wa-number-{NUMBER}")).await?.is_empty())
    })
    .await?;
    let number = a.find(&format!("wa-number-{NUMBER}")).await?;
    let number = number.prop("textContent").await?.unwrap_or_default();
    ensure!(
        number.contains("+55 11 3333-4444") && number.contains("Ativo"),
        "the number as the server lists it: {number:?}"
    );
    ensure!(
        a.all(&format!("wa-number-{OTHER_NUMBER}"))
            .await?
            .is_empty(),
        "another clinic's number shows"
    );
    a.screenshot("whatsapp-settings").await?;

    step("the admin turns reminders on; João has an appointment in three hours");
    let cli = &clinic.cli;
    cli.ok(&["sync"])?;
    cli.ok(&["hours", "set", "seg-dom 00:00-23:59"])?;
    let joao = cli.json(&["patient", "search", "joao"])?;
    let joao = joao[0]["id"].as_str().context("João's id")?.to_string();
    // Site time (São Paulo), at a half hour, the whole visit inside the day.
    let site_now = arcada_core::reminder::site_time(chrono::Utc::now(), "America/Sao_Paulo");
    let mut start = site_now + Duration::hours(3);
    start = start
        .date()
        .and_hms_opt(start.time().hour(), 0, 0)
        .context("hour")?
        + Duration::minutes(30);
    if start.time().hour() >= 23 {
        start = (start.date() + Duration::days(1))
            .and_hms_opt(0, 30, 0)
            .context("time")?;
    }
    let booked = cli.json(&[
        "appt",
        "book",
        "--patient",
        &joao,
        "--professional",
        "Dr. Bruno Reis",
        "--chair",
        "Cadeira 2",
        "--start",
        &start.format("%Y-%m-%d %H:%M").to_string(),
    ])?;
    let appointment = booked[0]["id"]
        .as_str()
        .with_context(|| format!("appointment id in {booked}"))?
        .to_string();
    // at any hour: the story runs whenever CI does (sending hours are the
    // reminders test's)
    cli.ok(&["whatsapp", "reminders", "--hours", "24", "--any-hour"])?;
    cli.ok(&["sync"])?;

    let reminder = |sent: &[arcada_tests::wa_sim::SentRecord]| {
        sent.iter()
            .filter(|r| r.to == JOAO && r.body["template"]["name"] == "lembrete_consulta")
            .filter_map(|r| r.wamid.clone())
            .collect::<Vec<_>>()
    };
    b.until("the reminder at the simulator", || async {
        Ok(!reminder(&clinic.sim.sent()?).is_empty())
    })
    .await?;
    let sent = reminder(&clinic.sim.sent()?);
    ensure!(sent.len() == 1, "one reminder, got {sent:?}");

    step("João taps \"Confirmar\"");
    clinic.sim.inbound(&serde_json::json!({
        "phone_number_id": NUMBER,
        "from": JOAO,
        "name": "João",
        "button": {"payload": "Confirmar", "text": "Confirmar"},
        "context_id": sent[0],
    }))?;
    let confirmed = format!(
        "[data-testid=\"appointment\"][data-id=\"{appointment}\"][data-status=\"confirmado\"]"
    );
    for (name, app) in [("A", a), ("B", b)] {
        agenda_on(app, start.date()).await?;
        app.until(&format!("the appointment confirmado on {name}"), || async {
            Ok(!app.all_css(&confirmed).await?.is_empty())
        })
        .await?;
    }
    b.scroll_into_view(&b.find_css(&confirmed).await?).await?;
    b.screenshot("agenda-confirmed-by-whatsapp").await?;
    Ok(())
}
