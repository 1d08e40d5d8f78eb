//! Strings of the cruscotto's views: tabs, columns, legends, help, the column chooser.

/// (key, Italian, English)
pub(super) const CATALOG: &[(&str, &str, &str)] = &[
    // commands of the views (help screen, palette)
    (
        "cmd.column_left",
        "Cruscotto: colonna precedente",
        "Dashboard: previous column",
    ),
    (
        "cmd.column_right",
        "Cruscotto: colonna successiva",
        "Dashboard: next column",
    ),
    (
        "cmd.cycle_period",
        "Cruscotto: periodo (oggi, 7, 30 giorni)",
        "Dashboard: period (today, 7, 30 days)",
    ),
    (
        "cmd.choose_columns",
        "Cruscotto: scegli le colonne",
        "Dashboard: choose the columns",
    ),
    (
        "cmd.trend_scale",
        "Cruscotto: andamento per giorno o settimana",
        "Dashboard: trend by day or week",
    ),
    (
        "cmd.view_offices",
        "Cruscotto: uffici × materie",
        "Dashboard: offices × topics",
    ),
    (
        "cmd.view_patronati",
        "Cruscotto: patronati",
        "Dashboard: patronati",
    ),
    (
        "cmd.view_deadlines",
        "Cruscotto: scadute e in scadenza",
        "Dashboard: breached and about to breach",
    ),
    (
        "cmd.view_backlog",
        "Cruscotto: arretrato per età",
        "Dashboard: backlog by age",
    ),
    (
        "cmd.view_workload",
        "Cruscotto: carico di lavoro",
        "Dashboard: workload",
    ),
    ("cmd.view_trend", "Cruscotto: andamento", "Dashboard: trend"),
    (
        "cmd.view_forecast",
        "Cruscotto: previsione",
        "Dashboard: forecast",
    ),
    // tab line (short) and view titles
    ("views.tab.offices", "Sedi", "Offices"),
    ("views.tab.patronati", "Patronati", "Patronati"),
    ("views.tab.deadlines", "Scadenze", "Due"),
    ("views.tab.backlog", "Età", "Age"),
    ("views.tab.workload", "Carico", "Workload"),
    ("views.tab.trend", "Andamento", "Trend"),
    ("views.tab.forecast", "Previsione", "Forecast"),
    (
        "views.title.offices",
        "Uffici × materie",
        "Offices × topics",
    ),
    (
        "views.title.patronati",
        "Patronati · indicatori §5",
        "Patronati · §5 indicators",
    ),
    (
        "views.title.deadlines",
        "Scadute e in scadenza · Invio: le richieste, dalla più vecchia",
        "Breached and about to breach · Enter: the requests, oldest first",
    ),
    (
        "views.title.backlog",
        "Arretrato per età · giorni lavorativi dalla presentazione",
        "Backlog by age · business days since filing",
    ),
    ("views.title.workload", "Carico di lavoro", "Workload"),
    ("views.title.trend", "Andamento", "Trend"),
    (
        "views.title.forecast",
        "Previsione delle scadenze al ritmo di chiusura attuale",
        "Breaches ahead at the current closing rate",
    ),
    (
        "views.title_period",
        "{title} · periodo: {period} (p)",
        "{title} · period: {period} (p)",
    ),
    // period selector
    ("views.period.today", "oggi", "today"),
    ("views.period.7d", "7 giorni", "7 days"),
    ("views.period.30d", "30 giorni", "30 days"),
    // columns
    ("views.total", "Totale", "Total"),
    ("views.days_short", "gg", "d"),
    ("views.col.forwarded", "Trasferite", "Forwarded"),
    ("views.col.within_sla", "% in SLA", "% in SLA"),
    ("views.col.incomplete", "Incomplete", "Incomplete"),
    ("views.col.breached_open", "Scadute aperte", "Open breached"),
    ("views.col.age_bucket", "{bucket} gg", "{bucket} d"),
    (
        "views.col.recent_closures",
        "Chiuse {days} gg",
        "Closed {days}d",
    ),
    ("views.col.rate", "Ritmo/gg", "Rate/day"),
    ("views.col.breaching", "Scadono {days} gg", "Breach {days}d"),
    ("views.col.extra", "Extra {days} gg", "Extra {days}d"),
    ("views.col.day", "Giorno", "Day"),
    ("views.col.week", "Settimana", "Week"),
    ("views.col.filed", "Presentate", "Filed"),
    ("views.col.answered", "Risposte", "Answered"),
    ("views.col.answered_within", "Entro SLA", "Within SLA"),
    ("views.col.closed", "Chiuse", "Closed"),
    (
        "views.col.filed_bar",
        "Presentate (grafico)",
        "Filed (chart)",
    ),
    ("views.col.operator", "Operatore", "Operator"),
    // weekdays, Monday = 1
    ("views.weekday.1", "lun", "Mon"),
    ("views.weekday.2", "mar", "Tue"),
    ("views.weekday.3", "mer", "Wed"),
    ("views.weekday.4", "gio", "Thu"),
    ("views.weekday.5", "ven", "Fri"),
    ("views.weekday.6", "sab", "Sat"),
    ("views.weekday.7", "dom", "Sun"),
    (
        "views.trend.by_day",
        "per giorno (w: per settimana)",
        "by day (w: by week)",
    ),
    (
        "views.trend.by_week",
        "per settimana, da lunedì (w: per giorno)",
        "by week, from Monday (w: by day)",
    ),
    // legend line
    ("views.legend.breached", "scadute", "breached"),
    ("views.legend.at_risk", "a rischio", "at risk"),
    (
        "views.legend.paused",
        "in attesa (SLA sospeso)",
        "awaiting (SLA paused)",
    ),
    (
        "views.legend.offices",
        "←→ colonne  v scegli",
        "←→ columns  v choose",
    ),
    (
        "views.legend.patronati",
        "ore lavorative · Incomplete: con integrazione",
        "business hours · Incomplete: needed integration",
    ),
    (
        "views.legend.deadlines",
        "Invio: le richieste",
        "Enter: the requests",
    ),
    (
        "views.legend.backlog",
        "età in giorni lavorativi, pause comprese",
        "age in business days, pauses included",
    ),
    (
        "views.legend.workload",
        "richieste aperte assegnate",
        "open requests assigned",
    ),
    (
        "views.legend.trend",
        "giorni di calendario, ora di Roma · w giorno/settimana",
        "calendar days, Rome time · w day/week",
    ),
    (
        "views.legend.forecast",
        "Extra: chiusure in più al giorno per evitarle · ? come si calcola",
        "Extra: more closures a day to avoid them · ? how it is computed",
    ),
    // empty views
    (
        "views.empty.patronati",
        "Nessuna richiesta presentata nel periodo",
        "No requests filed in the period",
    ),
    (
        "views.empty.deadlines",
        "Nessuna richiesta scaduta o a rischio",
        "No breached or at-risk requests",
    ),
    // workload
    (
        "views.workload.aggregated",
        "Dati aggregati: nessun nome di operatore",
        "Aggregated figures: no operator names",
    ),
    (
        "views.workload.operators",
        "Operatori con richieste assegnate: {n}",
        "Operators with requests assigned: {n}",
    ),
    (
        "views.workload.spread",
        "Richieste aperte per operatore: minimo {min}, mediana {median}, massimo {max}",
        "Open requests per operator: minimum {min}, median {median}, maximum {max}",
    ),
    (
        "views.workload.unassigned",
        "Aperte non assegnate: {n}",
        "Open and unassigned: {n}",
    ),
    (
        "views.workload.overloaded",
        "Sovraccarico: il più carico ha {max} richieste, almeno il doppio della mediana ({median})",
        "Overload: the busiest operator has {max} requests, at least twice the median ({median})",
    ),
    (
        "views.workload.balanced",
        "Nessun operatore oltre il doppio della mediana",
        "No operator above twice the median",
    ),
    (
        "views.workload.why",
        "Perché aggregati: la L. 300/1970 (Statuto dei lavoratori), art. 4, limita il controllo a distanza dell'attività dei singoli lavoratori. I nomi compaiono solo se il servizio è configurato con named_operators, dopo l'accordo previsto.",
        "Why aggregated: Italian law 300/1970 (Workers' Statute), art. 4, restricts remote monitoring of individual workers. Names appear only when the service is configured with named_operators, after the agreement the law requires.",
    ),
    (
        "views.workload.named",
        "Dati nominativi (named_operators attivo)",
        "Named figures (named_operators on)",
    ),
    (
        "views.workload.named_summary",
        "Mediana {median} aperte per operatore · non assegnate: {n}",
        "Median {median} open per operator · unassigned: {n}",
    ),
    ("views.workload.heavy", "sovraccarico", "overloaded"),
    // help
    ("views.help.title", "Aiuto del cruscotto", "Dashboard help"),
    (
        "views.help.close",
        "? o Esc chiude l'aiuto",
        "? or Esc closes the help",
    ),
    ("views.key.move", "righe su e giù", "rows up and down"),
    (
        "views.key.page",
        "pagina, inizio, fine",
        "page, top, bottom",
    ),
    (
        "views.key.columns",
        "colonna precedente / successiva (scorre la tabella)",
        "previous / next column (scrolls the table)",
    ),
    (
        "views.key.tabs",
        "vista successiva / precedente",
        "next / previous view",
    ),
    ("views.key.tab_next", "vista successiva", "next view"),
    ("views.key.tab_prev", "vista precedente", "previous view"),
    ("views.key.tab_digit", "vai alla vista", "go to the view"),
    (
        "views.key.period",
        "periodo: oggi, 7 giorni, 30 giorni",
        "period: today, 7 days, 30 days",
    ),
    (
        "views.key.chooser",
        "scegli le colonne di Uffici × materie",
        "choose the columns of Offices × topics",
    ),
    (
        "views.key.trend_scale",
        "andamento per giorno o per settimana",
        "trend by day or by week",
    ),
    (
        "views.key.open",
        "apri la coda della riga",
        "open the queue of the row",
    ),
    (
        "views.key.export",
        "esporta la tabella in CSV",
        "export the table to CSV",
    ),
    (
        "views.key.refresh",
        "aggiorna i dati",
        "refresh the figures",
    ),
    ("views.key.help", "questo aiuto", "this help"),
    (
        "views.key.quit",
        "esci (chiude prima aiuto e scelta colonne)",
        "quit (closes help and chooser first)",
    ),
    (
        "views.help.offices",
        "Una riga per sede e materia, il totale della sede e il Totale del perimetro. Scadute, a rischio e in attesa sono le richieste aperte ora; la colonna SLA è la quota di prime risposte entro il termine nel periodo scelto con p. I tempi sono mediana e 90° percentile in ore lavorative degli ultimi 30 giorni; nel Totale restano vuoti perché i percentili non si sommano.",
        "One row per office and topic, the office total and the scope Total. Breached, at risk and awaiting are the requests open now; the SLA column is the share of first replies within target in the period chosen with p. Times are median and 90th percentile in business hours over the last 30 days; the Total leaves them empty because percentiles do not add up.",
    ),
    (
        "views.help.patronati",
        "Per ogni patronato, sulle richieste presentate nel periodo: volume, % di prime risposte entro lo SLA, mediana e 90° percentile di prima risposta e chiusura in ore lavorative, richieste di integrazione ricevute, quota di richieste incomplete (almeno una integrazione), quota di riaperte, richieste aperte già scadute.",
        "For each patronato, over the requests filed in the period: volume, % of first replies within SLA, median and 90th percentile of first reply and resolution in business hours, integration requests received, share of incomplete requests (at least one integration), reopen share, open requests already breached.",
    ),
    (
        "views.help.deadlines",
        "Le sedi e materie con richieste scadute o a rischio, prima le più scadute. Invio apre la coda della riga, dove le richieste sono in ordine di anzianità, dalla più vecchia.",
        "The offices and topics with breached or at-risk requests, most breached first. Enter opens the row's queue, where the requests are listed oldest first.",
    ),
    (
        "views.help.backlog",
        "Richieste aperte per giorni lavorativi interi dalla presentazione (le pause non si sottraggono: è l'attesa del cittadino).",
        "Open requests by whole business days since filing (pauses are not subtracted: it is how long the citizen has waited).",
    ),
    (
        "views.help.workload",
        "Richieste aperte assegnate per operatore. Senza named_operators il cruscotto mostra solo numero di operatori, minimo, mediana e massimo (L. 300/1970, art. 4). Sovraccarico: almeno il doppio della mediana.",
        "Open requests assigned per operator. Without named_operators the dashboard shows only the number of operators, minimum, median and maximum (law 300/1970, art. 4). Overloaded: at least twice the median.",
    ),
    (
        "views.help.trend",
        "Per giorno di calendario (ora di Roma), dal più recente: presentate, risposte, risposte entro lo SLA e chiuse degli ultimi 30 giorni. w raggruppa per settimana, da lunedì a domenica.",
        "Per calendar day (Rome time), newest first: requests filed, answered, answered within SLA and closed in the last 30 days. w groups them by week, Monday to Sunday.",
    ),
    (
        "views.help.forecast",
        "Ritmo di chiusura r = chiusure degli ultimi 10 giorni lavorativi / 10. Le richieste aperte non ancora scadute e non sospese sono ordinate per scadenza della risoluzione (la più vicina prima) e si suppongono chiuse in quell'ordine, r al giorno lavorativo. Una richiesta scade entro H giorni se la sua scadenza cade entro H giorni lavorativi (calendario della sua sede) e prima di essa ci stanno meno chiusure della sua posizione. Extra H gg è il più piccolo numero intero x tale che, al ritmo r + x, nessuna scada entro H. La riga (tutte) tratta la sede come un'unica coda, con tutte le sue chiusure: può prevedere meno scadenze della somma delle materie, perché suppone che il personale passi da una materia all'altra.",
        "Closing rate r = closures in the last 10 business days / 10. Open requests not yet breached and not paused are taken by resolution due time (earliest first) and assumed closed in that order, r per business day. A request breaches within H days if its due time falls within H business days (its office's calendar) and fewer closures than its rank fit before it. Extra Hd is the smallest whole number x such that at rate r + x none of them breaches within H. The (all) row treats the office as one queue with all its closures: it can forecast fewer breaches than the topics add up to, because it assumes staff move between topics.",
    ),
    (
        "views.forecast.how",
        " Come si calcola ",
        " How it is computed ",
    ),
    // column chooser and messages
    ("views.chooser.title", "Colonne", "Columns"),
    (
        "views.chooser.hint",
        "Invio/Spazio mostra o nasconde · v/Esc chiude",
        "Enter/Space shows or hides · v/Esc closes",
    ),
    (
        "views.chooser.last",
        "Almeno una colonna resta visibile",
        "At least one column stays shown",
    ),
    (
        "views.no_drill",
        "Le righe di questa vista non sono pratiche di una sede: Invio si usa in Sedi, Scadenze, Età e Previsione",
        "This view's rows are not requests of an office: Enter works in Offices, Deadlines, Age and Forecast",
    ),
    // drill-down: the requests behind a figure
    ("drill.all_offices", "Tutte le sedi", "All offices"),
    ("drill.all_topics", "tutte le materie", "all topics"),
    ("drill.figure.open", "Aperte", "Open"),
    ("drill.figure.breached", "Scadute", "Breached"),
    ("drill.figure.at_risk", "A rischio", "At risk"),
    (
        "drill.figure.paused",
        "In attesa di integrazione",
        "Awaiting integration",
    ),
    (
        "drill.truncated",
        "prime 500, le più vecchie",
        "first 500, oldest first",
    ),
    ("drill.empty", "Nessuna pratica", "No requests"),
    ("drill.col.id", "Pratica", "Request"),
    ("drill.col.office", "Sede", "Office"),
    ("drill.col.topic", "Materia", "Topic"),
    ("drill.col.patronato", "Patronato", "Patronato"),
    ("drill.col.status", "Stato", "Status"),
    ("drill.col.assignee", "Assegnata a", "Assignee"),
    ("drill.col.remaining", "Residuo", "Left"),
    ("drill.col.due", "Scadenza", "Due"),
    ("drill.col.age", "Età", "Age"),
    ("drill.age_days", "{n} gg", "{n} d"),
    ("drill.filed", "presentata il", "filed"),
    (
        "drill.hints",
        "↑↓ pratiche  ←→ colonne  Invio dettaglio  r aggiorna  Esc indietro",
        "↑↓ requests  ←→ columns  Enter detail  r reload  Esc back",
    ),
    (
        "drill.hints_detail",
        "↑↓ PgUp PgDn scorri  Esc torna all'elenco",
        "↑↓ PgUp PgDn scroll  Esc back to the list",
    ),
    (
        "drill.legend",
        "Sola lettura · le più vecchie prima · residuo lavorativo (- = scaduto da)",
        "Read-only · oldest first · business time left (- = overdue by)",
    ),
    // `combipat report quality --year Y`: the methodology printed with the table
    (
        "quality.title",
        "Indicatori di qualità per patronato (Protocollo INPS–Patronati, §5) · anno {year}",
        "Quality indicators per patronato (INPS–Patronati protocol, §5) · year {year}",
    ),
    (
        "quality.method",
        "Metodo (h = ore lavorative)\n\
- Richieste: pratiche presentate nell'anno {year} (data di presentazione, ora di Roma) nell'ambito del token.\n\
- Richieste di integrazione: tutte quelle inviate dalla sede al patronato per quelle pratiche (anche più d'una per pratica).\n\
- Con integrazione %: pratiche con almeno una richiesta di integrazione / pratiche presentate (difettosità delle istanze).\n\
- Riaperte %: pratiche riaperte almeno una volta / pratiche che hanno avuto una risposta o una chiusura.\n\
- Prima risposta nei tempi %: pratiche la cui prima risposta è arrivata entro l'obiettivo della politica SLA per materia e priorità / pratiche con una prima risposta.\n\
- Tempi (mediana, 90° percentile, rango più vicino): ore lavorative dalla presentazione alla prima risposta o alla chiusura, sul calendario della sede di ogni momento (orari, festività nazionali e patronali, chiusure configurate), escluso il tempo in attesa di integrazione.\n\
- Le pratiche aperte contano per volume e integrazioni; i tempi contano solo quando la prima risposta o la chiusura c'è.\n\
- Un campo vuoto: nulla da misurare. La lettura è registrata nel registro di audit con il suo scopo (--purpose).",
        "Method (h = business hours)\n\
- Requests: filed in {year} (filing date, Rome time) within the token's scope.\n\
- Integration requests: every one the office sent the patronato for those requests (several per request possible).\n\
- Needing integration %: requests with one integration request at least / requests filed (defective filings).\n\
- Reopened %: requests reopened at least once / requests that had a reply or a closure.\n\
- First reply within SLA %: requests whose first reply came within the SLA policy's target for their topic and priority / requests with a first reply.\n\
- Times (median, 90th percentile, nearest rank): business hours from filing to first reply or to closure, on the calendar of the office of each moment (hours, national and patron-saint holidays, configured closures), time awaiting integration excluded.\n\
- Open requests count for volume and integrations; times count once the first reply or the closure exists.\n\
- An empty field: nothing to measure. The read is recorded in the audit log with its purpose (--purpose).",
    ),
];
