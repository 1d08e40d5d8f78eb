//! UI strings in Italian (default) and English, in one catalog.
//!
//! Keys are stable dotted names; a missing key renders as a visible marker.

/// UI language: the one language type of the project (config, workstation, cruscotto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    /// Parses `it`/`en` (case-insensitive), as given by `--lang` or the config.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "it" | "ita" | "italiano" => Some(Lang::It),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

mod agenda;
mod cruscotto;

/// (key, Italian, English)
const CATALOG: &[(&str, &str, &str)] = &[
    // commands (help screen, palette)
    ("cmd.quit", "Esci", "Quit"),
    ("cmd.send", "Invia", "Send"),
    (
        "cmd.external_editor",
        "Continua con $EDITOR",
        "Continue in $EDITOR",
    ),
    ("cmd.help", "Aiuto (tasti)", "Help (keys)"),
    ("cmd.palette", "Elenco dei comandi", "Command palette"),
    ("cmd.filter", "Filtra l'elenco", "Filter the list"),
    (
        "cmd.search_all",
        "Cerca in tutte le code",
        "Search every queue",
    ),
    (
        "cmd.jump",
        "Vai a una richiesta per numero",
        "Jump to a request id",
    ),
    ("cmd.focus_next", "Pannello successivo", "Next pane"),
    ("cmd.focus_prev", "Pannello precedente", "Previous pane"),
    ("cmd.up", "Su", "Up"),
    ("cmd.down", "Giù", "Down"),
    ("cmd.page_up", "Pagina su", "Page up"),
    ("cmd.page_down", "Pagina giù", "Page down"),
    ("cmd.top", "Inizio", "Top"),
    ("cmd.bottom", "Fine", "Bottom"),
    ("cmd.open", "Apri", "Open"),
    ("cmd.back", "Indietro", "Back"),
    ("cmd.next_queue", "Coda successiva", "Next queue"),
    ("cmd.prev_queue", "Coda precedente", "Previous queue"),
    ("cmd.sort_cycle", "Cambia ordinamento", "Cycle sort order"),
    (
        "cmd.toggle_select",
        "Seleziona/deseleziona",
        "Toggle selection",
    ),
    ("cmd.select_all", "Seleziona tutte", "Select all"),
    (
        "cmd.clear_selection",
        "Annulla selezione",
        "Clear selection",
    ),
    ("cmd.dashboard", "Cruscotto", "Dashboard"),
    ("cmd.suspend", "Sospendi (Ctrl-Z)", "Suspend (Ctrl-Z)"),
    ("cmd.refresh", "Aggiorna", "Refresh"),
    ("cmd.export_csv", "Esporta CSV", "Export CSV"),
    ("cmd.take", "Prendi in carico", "Take"),
    ("cmd.release", "Rilascia", "Release"),
    ("cmd.assign", "Assegna a…", "Assign to…"),
    ("cmd.reply", "Rispondi", "Reply"),
    (
        "cmd.reply_editor",
        "Rispondi con $EDITOR",
        "Reply in $EDITOR",
    ),
    ("cmd.note", "Nota interna", "Internal note"),
    (
        "cmd.request_integration",
        "Chiedi integrazione",
        "Request integration",
    ),
    (
        "cmd.forward",
        "Trasferisci a sede competente",
        "Forward to office",
    ),
    ("cmd.close", "Chiudi con esito", "Close with outcome"),
    ("cmd.reopen", "Riapri", "Reopen"),
    ("cmd.tag", "Etichetta", "Tag"),
    (
        "cmd.book_appointment",
        "Prenota appuntamento",
        "Book appointment",
    ),
    ("cmd.copy_id", "Copia numero", "Copy id"),
    (
        "cmd.bulk_take",
        "Prendi in carico le selezionate",
        "Take selected",
    ),
    (
        "cmd.bulk_forward",
        "Trasferisci le selezionate",
        "Forward selected",
    ),
    ("cmd.bulk_close", "Chiudi le selezionate", "Close selected"),
    (
        "cmd.undo",
        "Annulla ultima chiusura/trasferimento",
        "Undo last close/forward",
    ),
    ("cmd.canned_reply", "Risposta predefinita", "Canned reply"),
    // help screen and key-hint line (generated from the active keymap)
    (
        "help.hint",
        "Scrivi per filtrare · Esc chiude",
        "Type to filter · Esc closes",
    ),
    (
        "help.no_match",
        "Nessun tasto corrisponde",
        "No key matches",
    ),
    (
        "help.business_time",
        "Tempi SLA in tempo lavorativo: 5,3gg = giorni lavorativi, 53h o 3h05 = ore lavorative; negativo (-2h30) = scaduto da",
        "SLA times are business time: 5.3bd = business days, 53h or 3h05 = business hours; negative (-2h30) = overdue by",
    ),
    ("help.context.global", "Ovunque", "Everywhere"),
    ("help.context.queues", "Code", "Queues"),
    ("help.context.list", "Elenco", "List"),
    ("help.context.detail", "Dettaglio", "Detail"),
    ("help.context.dashboard", "Cruscotto", "Dashboard"),
    ("help.context.editor", "Editor di testo", "Text editor"),
    ("hint.quit", "esci", "quit"),
    ("hint.send", "invia", "send"),
    ("hint.external_editor", "$EDITOR", "$EDITOR"),
    ("hint.help", "aiuto", "help"),
    ("hint.palette", "comandi", "commands"),
    ("hint.filter", "filtra", "filter"),
    ("hint.open", "apri", "open"),
    ("hint.back", "indietro", "back"),
    ("hint.toggle_select", "seleziona", "select"),
    ("hint.sort_cycle", "ordina", "sort"),
    ("hint.take", "prendi", "take"),
    ("hint.reply", "rispondi", "reply"),
    ("hint.request_integration", "integrazione", "integration"),
    ("hint.forward", "trasferisci", "forward"),
    ("hint.close", "chiudi", "close"),
    ("hint.export_csv", "CSV", "CSV"),
    // start-up: configuration, keymap and theme files
    (
        "startup.diagnostics",
        "Avvisi in keymap/tema: {n} (dettagli in workstation.log): {first}",
        "{n} warnings in keymap/theme (details in workstation.log): {first}",
    ),
    (
        "startup.config_invalid",
        "configurazione non valida: {detail}",
        "invalid configuration: {detail}",
    ),
    (
        "startup.lang_unknown",
        "--lang: lingua non supportata '{code}' (usa it o en)",
        "--lang: unsupported language '{code}' (use it or en)",
    ),
    (
        "startup.no_home",
        "nessuna cartella home: indica --data-dir",
        "no home directory: pass --data-dir",
    ),
    (
        "startup.data_dir",
        "impossibile scrivere nella cartella dati {dir}",
        "cannot write to the data dir {dir}",
    ),
    (
        "startup.login",
        "accesso al servizio {url} non riuscito",
        "cannot log in to the service at {url}",
    ),
    (
        "startup.embedded",
        "impossibile avviare il servizio integrato (demo)",
        "cannot start the embedded (demo) service",
    ),
    (
        "startup.server_needs_token",
        "server {url}: manca il token (--token, COMBIPAT_TOKEN, server.token o server.token_file)",
        "server {url}: no token (--token, COMBIPAT_TOKEN, server.token or server.token_file)",
    ),
    // queues
    ("queue.mine", "Mie", "Mine"),
    (
        "queue.unassigned",
        "Da assegnare (sede)",
        "Unassigned (office)",
    ),
    (
        "queue.awaiting",
        "In attesa di integrazione",
        "Awaiting integration",
    ),
    ("queue.at_risk", "A rischio", "At risk"),
    ("queue.breached", "Scadute", "Breached"),
    ("queue.closed_today", "Chiuse oggi", "Closed today"),
    ("queue.all", "Tutte aperte", "All open"),
    ("topic.pensioni", "Pensioni", "Pensions"),
    (
        "topic.ammortizzatori_sociali",
        "Ammortizzatori sociali",
        "Income support",
    ),
    (
        "topic.invalidita_civile",
        "Invalidità civile",
        "Civil disability",
    ),
    ("topic.assegno_unico", "Assegno unico", "Child benefit"),
    ("topic.contributi", "Contributi", "Contributions"),
    // panes and columns
    ("pane.queues", "Code", "Queues"),
    ("pane.list", "Richieste", "Requests"),
    ("pane.detail", "Dettaglio", "Detail"),
    ("col.sla", "SLA lav.", "SLA bus."),
    ("col.priority", "P", "P"),
    ("col.id", "Numero", "Id"),
    ("col.patronato", "Patronato", "Patronato"),
    ("col.topic", "Materia", "Topic"),
    ("col.citizen", "Cittadino", "Citizen"),
    ("col.cf", "Cod. fiscale", "Codice fiscale"),
    ("col.subject", "Oggetto", "Subject"),
    ("col.age", "Età", "Age"),
    ("col.assignee", "Assegnata", "Assignee"),
    ("csv.id", "Numero", "Id"),
    ("csv.status", "Stato", "Status"),
    ("csv.office", "Sede", "Office"),
    ("csv.patronato", "Patronato", "Patronato"),
    ("csv.topic", "Materia", "Topic"),
    ("csv.citizen", "Codice fiscale", "Codice fiscale"),
    ("csv.citizen_name", "Cittadino", "Citizen"),
    ("csv.subject", "Oggetto", "Subject"),
    ("csv.priority", "Priorità", "Priority"),
    ("csv.priority.normale", "Normale", "Normal"),
    ("csv.priority.urgente", "Urgente", "Urgent"),
    ("csv.assignee", "Assegnata a", "Assignee"),
    ("csv.created", "Creata il", "Created"),
    ("csv.due", "Scadenza", "Due"),
    (
        "detail.none",
        "Nessuna richiesta selezionata",
        "No request selected",
    ),
    ("detail.status", "Stato", "Status"),
    ("detail.citizen", "Cittadino", "Citizen"),
    ("detail.mandate", "Mandato", "Mandate"),
    ("detail.thread", "Conversazione", "Thread"),
    ("detail.history", "Cronologia", "History"),
    ("detail.applications", "Domande", "Applications"),
    (
        "detail.other_requests",
        "Altre richieste aperte",
        "Other open requests",
    ),
    ("detail.clocks", "Orologi SLA", "SLA clocks"),
    ("detail.due", "Scadenza", "Due"),
    ("detail.tags", "Etichette", "Tags"),
    ("detail.loading", "Caricamento…", "Loading…"),
    (
        "detail.open_hint",
        "{key}: fascicolo, conversazione e cronologia",
        "{key}: dossier, thread and history",
    ),
    ("detail.viewing", "Sta guardando", "Viewing"),
    ("detail.born", "nato/a il", "born"),
    (
        "presence.viewing",
        "{name} sta guardando",
        "{name} is viewing",
    ),
    (
        "presence.replying",
        "{name} sta rispondendo",
        "{name} is replying",
    ),
    ("mandate.active", "attivo", "active"),
    (
        "mandate.not_yet_valid",
        "non ancora valido",
        "not yet valid",
    ),
    ("mandate.expired", "scaduto", "expired"),
    ("mandate.revoked", "revocato", "revoked"),
    ("mandate.none", "nessun mandato", "no mandate"),
    ("clock.presa_in_carico", "Presa in carico", "Pick-up"),
    ("clock.first_reply", "Prima risposta", "First reply"),
    ("clock.next_reply", "Risposta succ.", "Next reply"),
    ("clock.resolution", "Chiusura", "Resolution"),
    (
        "clock.remaining",
        "restano {time} lav.",
        "{time} business time left",
    ),
    (
        "clock.overdue",
        "scaduto da {time} lav.",
        "overdue by {time} business time",
    ),
    (
        "clock.basis_calendar",
        "calendario {offices}",
        "calendar {offices}",
    ),
    (
        "clock.basis_days.one",
        "{n} giorno lavorativo",
        "{n} business day",
    ),
    (
        "clock.basis_days.many",
        "{n} giorni lavorativi",
        "{n} business days",
    ),
    (
        "clock.basis_hours.one",
        "{n} ora lavorativa",
        "{n} business hour",
    ),
    (
        "clock.basis_hours.many",
        "{n} ore lavorative",
        "{n} business hours",
    ),
    (
        "clock.basis_paused",
        "orologio fermo: in attesa di integrazione",
        "clock stopped: awaiting integration",
    ),
    ("sla.ok", "in tempo", "on time"),
    ("sla.warning", "attenzione", "warning"),
    ("sla.critical", "critico", "critical"),
    ("sla.breached", "scaduto", "breached"),
    // One name for the paused state everywhere: the reason it is paused.
    (
        "sla.paused",
        "in attesa di integrazione",
        "awaiting integration",
    ),
    ("sla.met", "rispettato", "met"),
    ("sla.missed", "mancato", "missed"),
    (
        "message.patronato_message",
        "messaggio del patronato",
        "patronato message",
    ),
    ("message.reply", "risposta", "reply"),
    ("message.internal_note", "nota interna", "internal note"),
    (
        "message.integration_request",
        "richiesta di integrazione",
        "integration request",
    ),
    (
        "error.stale_kept",
        "Invio rifiutato: la richiesta è stata cambiata da altri (dettaglio aggiornato). Il testo è conservato: Invio per inviarlo di nuovo, Esc per annullare.",
        "Not sent: the request was changed by someone else (detail reloaded). Your text is kept: Enter to send it again, Esc to drop it.",
    ),
    // status bar, banners, dialogs
    ("status.demo", "DEMO", "DEMO"),
    ("status.read_only", "SOLA LETTURA", "READ-ONLY"),
    ("status.selected.one", "{n} selezionata", "{n} selected"),
    ("status.selected.many", "{n} selezionate", "{n} selected"),
    ("status.sort", "ordina", "sort"),
    ("status.filter", "filtro", "filter"),
    ("sort.sla", "SLA", "SLA"),
    ("sort.age", "età", "age"),
    ("sort.priority", "priorità", "priority"),
    (
        "banner.stale",
        "La richiesta è cambiata: premi {key} per aggiornare",
        "This request changed: press {key} to refresh",
    ),
    (
        "banner.offline",
        "Collegamento al servizio perso: riprovo…",
        "Lost connection to the service: retrying…",
    ),
    (
        "error.read_only",
        "Modalità sola lettura: azione non consentita",
        "Read-only mode: action not allowed",
    ),
    ("queue.saved", "Filtro salvato", "Saved filter"),
    (
        "error.illegal_transition",
        "Azione non consentita nello stato attuale della richiesta",
        "This action is not allowed in the request's current state",
    ),
    (
        "error.stale",
        "Modifica rifiutata: la richiesta è stata cambiata da altri. Aggiorna e riprova.",
        "Change refused: the request was changed by someone else. Refresh and retry.",
    ),
    (
        "error.no_request",
        "Nessuna richiesta selezionata",
        "No request selected",
    ),
    (
        "error.no_selection",
        "Nessuna richiesta selezionata (spazio per selezionare)",
        "Nothing selected (space to select)",
    ),
    (
        "error.not_found",
        "Richiesta non trovata",
        "Request not found",
    ),
    (
        "error.context",
        "Azione non disponibile qui",
        "Action not available here",
    ),
    ("queue.cell", "Cella del cruscotto", "Dashboard cell"),
    (
        "dashboard.loading",
        "Caricamento del cruscotto…",
        "Loading the dashboard…",
    ),
    (
        "dashboard.forbidden",
        "Cruscotto riservato a supervisori e auditor: {reason}",
        "The dashboard is for supervisors and auditors: {reason}",
    ),
    (
        "dashboard.forbidden_demo",
        "Cruscotto solo per supervisori: in demo usa `combipat dashboard`",
        "Dashboard for supervisors only: in the demo run `combipat dashboard`",
    ),
    (
        "dashboard.no_data_dir",
        "Esportazione non disponibile: nessuna cartella dati",
        "Export not available: no data directory",
    ),
    (
        "export.not_audited",
        "Esportazione rifiutata: il servizio non l'ha registrata nel registro di audit",
        "Export refused: the service did not record it in the audit log",
    ),
    (
        "dashboard.exported",
        "Esportato in {path}",
        "Exported to {path}",
    ),
    // the cruscotto (tui::dashboard::text::Text reads these)
    ("dash.title", "Cruscotto", "Dashboard"),
    ("dash.read_only", "SOLA LETTURA", "READ-ONLY"),
    ("dash.office", "Sede", "Office"),
    ("dash.topic", "Area", "Topic"),
    ("dash.all_topics", "(tutte)", "(all)"),
    ("dash.open", "Aperte", "Open"),
    ("dash.at_risk", "A rischio", "At risk"),
    ("dash.breached", "Scadute", "Breached"),
    ("dash.paused", "In attesa", "Awaiting"),
    ("dash.sla_today", "SLA oggi", "SLA today"),
    ("dash.sla_7d", "SLA 7g", "SLA 7d"),
    ("dash.sla_30d", "SLA 30g", "SLA 30d"),
    ("dash.first_reply_median", "1ª risp. med", "1st rep. med"),
    ("dash.first_reply_p90", "1ª risp. p90", "1st rep. p90"),
    ("dash.resolution_median", "Chius. med", "Resol. med"),
    ("dash.resolution_p90", "Chius. p90", "Resol. p90"),
    (
        "dash.age",
        "Arretrato gg lav. <1 1-2 3-5 6-10 >10",
        "Backlog bus. days <1 1-2 3-5 6-10 >10",
    ),
    ("dash.reopen", "Riaperte", "Reopened"),
    ("dash.hops", "Trasf.", "Fwd"),
    (
        "dash.patronati",
        "Patronati (30 giorni)",
        "Patronati (30 days)",
    ),
    ("dash.patronato", "Patronato", "Patronato"),
    ("dash.volume", "Volume", "Volume"),
    ("dash.integrations", "Integraz.", "Integr."),
    ("dash.defect", "Difettosità", "Defective"),
    (
        "dash.trend_filed",
        "Ricevute al giorno (30 g)",
        "Filed per day (30 d)",
    ),
    (
        "dash.trend_within",
        "Risposte entro SLA al giorno (30 g)",
        "Answered within SLA per day (30 d)",
    ),
    ("dash.workload", "Carico", "Workload"),
    ("dash.workload_aggregated", "operatori", "operators"),
    ("dash.unassigned", "non assegnate", "unassigned"),
    (
        "dash.hints",
        "↑↓ righe  ←→ colonne  Tab/1-7 viste  p periodo  Invio apri  ? aiuto  q esci",
        "↑↓ rows  ←→ columns  Tab/1-7 views  p period  Enter open  ? help  q quit",
    ),
    (
        "dash.hints_workstation",
        "↑↓ righe  ←→ colonne  Tab/1-7 viste  p periodo  Invio apri  ? aiuto  Esc esci",
        "↑↓ rows  ←→ columns  Tab/1-7 views  p period  Enter open  ? help  Esc back",
    ),
    (
        "dash.refused_read_only",
        "Sola lettura: l'azione non è consentita",
        "Read-only: the action is not allowed",
    ),
    (
        "dash.not_here",
        "Azione non disponibile nel cruscotto: apri la coda con Invio",
        "Not available in the dashboard: open the queue with Enter",
    ),
    ("dash.exported", "Esportato", "Exported"),
    (
        "dash.empty",
        "Nessuna richiesta nel perimetro",
        "No requests in scope",
    ),
    (
        "dash.export_elsewhere",
        "Esportazione non disponibile via SSH: usare combipat dashboard --csv",
        "Export is not available over SSH: use combipat dashboard --csv",
    ),
    (
        "dash.idle_timeout",
        "combipat: sessione chiusa per inattività",
        "combipat: session closed after inactivity",
    ),
    ("dash.scope_office", "Sede {code}", "Office {code}"),
    ("dash.scope_region", "Regione {region}", "Region {region}"),
    ("dash.scope_national", "Nazionale", "National"),
    (
        "avail.read_only",
        "Sola lettura: le modifiche non sono disponibili",
        "Read-only: changes are not available",
    ),
    (
        "avail.closed",
        "Richiesta chiusa: prima va riaperta",
        "Closed request: reopen it first",
    ),
    (
        "avail.already_yours",
        "È già in carico a te",
        "Already yours",
    ),
    (
        "avail.release_not_yours",
        "Solo chi l'ha in carico o un supervisore può rilasciarla",
        "Only its assignee or a supervisor can release it",
    ),
    (
        "avail.supervisors_assign",
        "Solo i supervisori assegnano ad altri operatori",
        "Only supervisors assign to other operators",
    ),
    (
        "avail.take_first",
        "Prima prendi in carico la richiesta",
        "Take the request first",
    ),
    (
        "avail.awaiting",
        "In attesa di integrazione dal patronato",
        "Awaiting the patronato's integration",
    ),
    (
        "avail.answered",
        "Risposta già inviata: si può chiudere o riaprire",
        "Already answered: close or reopen it",
    ),
    (
        "avail.status",
        "Non disponibile nello stato attuale della richiesta",
        "Not available in the request's current status",
    ),
    ("palette.queue", "Coda", "Queue"),
    (
        "error.unreachable",
        "Servizio non raggiungibile",
        "Service unreachable",
    ),
    (
        "error.conflict",
        "Un collega è arrivato prima: la richiesta è cambiata, nulla è stato fatto",
        "A colleague got there first: the request changed, nothing was done",
    ),
    (
        "error.forbidden",
        "Azione non consentita al tuo ruolo",
        "Not allowed for your role",
    ),
    (
        "error.rejected",
        "Il servizio ha rifiutato la modifica",
        "The service refused the change",
    ),
    // the offline outbox
    (
        "outbox.queued",
        "Servizio non raggiungibile: {what} in attesa di invio ({n})",
        "Service unreachable: {what} waiting to be sent ({n})",
    ),
    (
        "status.loading",
        "caricamento richieste… {n} finora",
        "loading requests… {n} so far",
    ),
    (
        "outbox.pending",
        "in attesa di invio ({n})",
        "waiting to be sent ({n})",
    ),
    (
        "outbox.refused_count",
        "non inviate ({n})",
        "not sent ({n})",
    ),
    (
        "outbox.all_sent",
        "Azioni in attesa inviate al servizio",
        "Waiting actions sent to the service",
    ),
    (
        "outbox.refused",
        "Non inviata: {what} su {id}. {reason}",
        "Not sent: {what} on {id}. {reason}",
    ),
    (
        "outbox.refused_line",
        "Non inviata: {what} ({reason})",
        "Not sent: {what} ({reason})",
    ),
    (
        "outbox.text_in_draft",
        "il testo è nella bozza della richiesta",
        "the text is in the request's draft",
    ),
    (
        "outbox.not_saved",
        "Azioni in attesa non salvate su disco: non chiudere finché il servizio non risponde",
        "Waiting actions not saved to disk: do not quit until the service answers",
    ),
    (
        "outbox.unreadable",
        "Il file delle azioni in attesa non è leggibile: lasciato com'è (vedi il registro)",
        "The file of waiting actions cannot be read: left as it is (see the log)",
    ),
    (
        "outbox.bad_key",
        "Chiave di idempotenza non valida",
        "Invalid idempotency key",
    ),
    ("outbox.what.take", "presa in carico", "take"),
    ("outbox.what.release", "rilascio", "release"),
    ("outbox.what.assign", "assegnazione", "assignment"),
    ("outbox.what.forward", "trasferimento", "forward"),
    ("outbox.what.close", "chiusura", "close"),
    ("outbox.what.reopen", "riapertura", "reopen"),
    ("outbox.what.tag", "etichetta", "tag"),
    (
        "outbox.what.untag",
        "rimozione dell'etichetta",
        "tag removal",
    ),
    ("outbox.what.appointment", "appuntamento", "appointment"),
    ("outbox.what.reply", "risposta", "reply"),
    ("outbox.what.note", "nota interna", "internal note"),
    (
        "outbox.what.integration",
        "richiesta di integrazione",
        "integration request",
    ),
    ("dialog.confirm", "Conferma", "Confirm"),
    (
        "dialog.confirm_hint",
        "Invio conferma · Esc annulla",
        "Enter confirms · Esc cancels",
    ),
    (
        "dialog.bulk_take.one",
        "Prendere in carico questa richiesta?",
        "Take this request?",
    ),
    (
        "dialog.bulk_take.many",
        "Prendere in carico queste {n} richieste?",
        "Take these {n} requests?",
    ),
    (
        "dialog.bulk_close.one",
        "Chiudere questa richiesta?",
        "Close this request?",
    ),
    (
        "dialog.bulk_close.many",
        "Chiudere queste {n} richieste?",
        "Close these {n} requests?",
    ),
    (
        "dialog.bulk_forward.one",
        "Trasferire questa richiesta?",
        "Forward this request?",
    ),
    (
        "dialog.bulk_forward.many",
        "Trasferire queste {n} richieste?",
        "Forward these {n} requests?",
    ),
    ("dialog.bulk_more", "  … e altre {n}", "  … and {n} more"),
    ("dialog.reply", "Risposta", "Reply"),
    ("dialog.note", "Nota interna", "Internal note"),
    (
        "dialog.integration",
        "Richiesta di integrazione",
        "Integration request",
    ),
    (
        "dialog.tag",
        "Etichetta (-etichetta per toglierla)",
        "Tag (-tag removes it)",
    ),
    (
        "dialog.assign",
        "Assegna a un operatore della sede",
        "Assign to an operator of the office",
    ),
    ("dialog.jump", "Vai al numero", "Jump to id"),
    (
        "dialog.input_hint",
        "Invio conferma · Esc annulla",
        "Enter confirms · Esc cancels",
    ),
    (
        "dialog.editor_hint",
        "{send} invia · Invio a capo · Ctrl-Z annulla · {editor} $EDITOR · Esc chiude",
        "{send} sends · Enter new line · Ctrl-Z undo · {editor} $EDITOR · Esc closes",
    ),
    (
        "dialog.keep_draft",
        "Tenere la bozza? Invio la tiene · d la scarta · Esc torna al testo",
        "Keep the draft? Enter keeps it · d discards it · Esc back to the text",
    ),
    ("editor.draft_restored", "Bozza ripresa", "Draft restored"),
    (
        "editor.draft_kept",
        "Bozza conservata: si riapre con lo stesso tasto",
        "Draft kept: the same key reopens it",
    ),
    (
        "editor.empty",
        "Testo vuoto: niente da inviare",
        "Empty text: nothing to send",
    ),
    (
        "editor.draft_not_saved",
        "Bozza non salvata su disco (vedi il log)",
        "Draft not saved to disk (see the log)",
    ),
    (
        "editor.external_failed",
        "Editor esterno non riuscito: {detail}",
        "External editor failed: {detail}",
    ),
    ("dialog.forward", "Trasferisci a sede", "Forward to office"),
    ("dialog.outcome", "Esito della chiusura", "Closing outcome"),
    ("dialog.canned", "Risposte predefinite", "Canned replies"),
    ("dialog.palette", "Comando", "Command"),
    ("dialog.help", "Tasti", "Keys"),
    (
        "dialog.picker_hint",
        "Scrivi per cercare · Invio sceglie · Esc annulla",
        "Type to search · Enter picks · Esc cancels",
    ),
    (
        "undo.pending",
        "{what}: {key} annulla entro {s}s",
        "{what}: {key} undoes within {s}s",
    ),
    ("undo.done", "Annullato", "Undone"),
    ("undo.nothing", "Niente da annullare", "Nothing to undo"),
    ("done.take", "Presa in carico", "Taken"),
    ("done.release", "Rilasciata", "Released"),
    ("done.reply", "Risposta inviata", "Reply sent"),
    ("done.note", "Nota aggiunta", "Note added"),
    (
        "done.integration",
        "Integrazione richiesta",
        "Integration requested",
    ),
    ("done.forward", "Trasferita", "Forwarded"),
    ("done.close", "Chiusa", "Closed"),
    ("done.reopen", "Riaperta", "Reopened"),
    ("done.tag", "Etichetta aggiunta", "Tag added"),
    ("done.assign", "Assegnata", "Assigned"),
    (
        "done.appointment",
        "Appuntamento prenotato",
        "Appointment booked",
    ),
    (
        "done.copy",
        "Numero inviato agli appunti del terminale (se li consente)",
        "Id sent to the terminal's clipboard (if it allows it)",
    ),
    ("done.untag", "Etichetta tolta", "Tag removed"),
    ("mode.in_sede", "In sede", "In person"),
    ("mode.telefono", "Telefono", "Phone"),
    ("mode.video", "Video", "Video"),
    ("outcome.evasa", "Evasa", "Answered"),
    (
        "outcome.non_di_competenza",
        "Non di competenza",
        "Not competent",
    ),
    (
        "outcome.integrazione_non_pervenuta",
        "Integrazione non pervenuta",
        "Integration not received",
    ),
    ("outcome.duplicata", "Duplicata", "Duplicate"),
    ("outcome.ritirata", "Ritirata", "Withdrawn"),
    (
        "outcome.risolta_in_appuntamento",
        "Risolta in appuntamento",
        "Solved at appointment",
    ),
    ("status.nuova", "Nuova", "New"),
    ("status.in_lavorazione", "In lavorazione", "In progress"),
    (
        "status.in_attesa_integrazione",
        "In attesa di integrazione",
        "Awaiting integration",
    ),
    ("status.risposta_inviata", "Risposta inviata", "Answered"),
    ("status.chiusa", "Chiusa", "Closed"),
    ("status.riaperta", "Riaperta", "Reopened"),
    ("status.trasferita", "Trasferita", "Forwarded"),
];

/// Shown for a key missing from the catalog, so gaps are visible.
pub const MISSING: &str = "⟨?⟩";

/// The text for `key` in `lang`; [`MISSING`] when the key is unknown.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match CATALOG
        .iter()
        .chain(agenda::CATALOG)
        .chain(cruscotto::CATALOG)
        .find(|(k, _, _)| *k == key)
    {
        Some((_, it, en)) => match lang {
            Lang::It => it,
            Lang::En => en,
        },
        None => MISSING,
    }
}

/// `KEY.one` or `KEY.many` by `n`, with `{n}` filled: "1 selezionata", "3 selezionate".
pub fn plural(lang: Lang, key: &str, n: usize) -> String {
    let form = if n == 1 { "one" } else { "many" };
    tf(lang, &format!("{key}.{form}"), &[("n", &n.to_string())])
}

/// Like [`t`] with `{name}` placeholders replaced.
pub fn tf(lang: Lang, key: &str, vars: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_string();
    for (name, value) in vars {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_command_is_described_in_both_languages() {
        for c in crate::tui::action::COMMANDS {
            assert_ne!(t(Lang::It, c.description_key), MISSING);
            assert_ne!(t(Lang::En, c.description_key), MISSING);
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut seen = HashSet::new();
        for (k, _, _) in CATALOG
            .iter()
            .chain(agenda::CATALOG)
            .chain(cruscotto::CATALOG)
        {
            assert!(seen.insert(*k), "duplicate key {k}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            plural(Lang::En, "dialog.bulk_close", 3),
            "Close these 3 requests?"
        );
        assert_eq!(plural(Lang::It, "status.selected", 1), "1 selezionata");
        assert_eq!(plural(Lang::It, "status.selected", 2), "2 selezionate");
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(t(Lang::It, "no.such.key"), MISSING);
    }
}
