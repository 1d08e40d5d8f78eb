//! Italian texts for synthetic requests: subjects, first messages, replies, notes.
//! `{assistito}`, `{cf}`, `{protocollo}` and `{sede}` are filled in by the generator.

use crate::domain::request::Topic;

pub fn subjects(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::AmmortizzatoriSociali => &[
            "NASpI: domanda in istruttoria da oltre 30 giorni",
            "NASpI: sospensione per rioccupazione a tempo determinato",
            "NASpI: richiesta chiarimenti sull'importo liquidato",
            "NASpI anticipata: esito della domanda di liquidazione",
            "DIS-COLL: mancato pagamento della prima mensilità",
            "Cassa integrazione: pagamento diretto non ricevuto",
            "NASpI: decadenza comunicata per mancata DID",
            "Indennità di disoccupazione agricola: calcolo giornate",
        ],
        Topic::Pensioni => &[
            "Pensione di vecchiaia: data di decorrenza",
            "Ricostituzione della pensione: stato della pratica",
            "Cedolino di pensione: trattenute non chiare",
            "Pensione anticipata: verifica dei requisiti contributivi",
            "Pensione di reversibilità: documentazione mancante",
            "Modello TE08: richiesta copia del provvedimento",
            "Conguaglio fiscale sul cedolino di pensione",
            "Quattordicesima non corrisposta",
        ],
        Topic::InvaliditaCivile => &[
            "Invalidità civile: convocazione a visita non ricevuta",
            "Indennità di accompagnamento: pagamento degli arretrati",
            "Verbale sanitario: richiesta copia",
            "Assegno mensile di assistenza: sospensione per redditi",
            "Invalidità civile: domanda ferma in fase amministrativa",
            "Legge 104: esito accertamento",
        ],
        Topic::AssegnoUnico => &[
            "Assegno unico: importo minimo nonostante ISEE presentato",
            "Assegno unico: figlio maggiorenne non riconosciuto",
            "Assegno unico: pagamento sospeso",
            "Assegno unico: variazione IBAN non acquisita",
            "Assegno unico: maggiorazione per disabilità non applicata",
            "Assegno unico: arretrati dopo presentazione ISEE",
        ],
        Topic::Contributi => &[
            "Estratto conto contributivo: periodi mancanti",
            "Riscatto della laurea: stato della domanda",
            "Contributi figurativi per maternità non accreditati",
            "Ricongiunzione: calcolo dell'onere",
            "Versamenti volontari: autorizzazione",
            "Accredito servizio militare",
            "Lavoro domestico: contributi non risultanti",
        ],
    }
}

/// Benefit names for domande of a topic.
pub fn benefits(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::AmmortizzatoriSociali => &[
            "NASpI",
            "DIS-COLL",
            "Cassa integrazione ordinaria",
            "Disoccupazione agricola",
        ],
        Topic::Pensioni => &[
            "Pensione di vecchiaia",
            "Pensione anticipata",
            "Pensione di reversibilità",
            "Ricostituzione reddituale",
        ],
        Topic::InvaliditaCivile => &[
            "Invalidità civile",
            "Indennità di accompagnamento",
            "Legge 104/1992",
        ],
        Topic::AssegnoUnico => &["Assegno unico e universale"],
        Topic::Contributi => &[
            "Riscatto laurea",
            "Ricongiunzione",
            "Versamenti volontari",
            "Accredito figurativo",
        ],
    }
}

pub const APPLICATION_STATES: &[(&str, u32)] = &[
    ("in istruttoria", 45),
    ("accolta", 35),
    ("respinta", 8),
    ("sospesa", 7),
    ("in riesame", 5),
];

pub const FIRST_MESSAGES: &[&str] = &[
    "Buongiorno, per conto dell'assistito {assistito} (CF {cf}) si chiede di conoscere lo stato della pratica{protocollo}. L'assistito non ha ricevuto comunicazioni e chiede tempi certi.",
    "Gentile sede di {sede}, l'assistito {assistito} segnala un'anomalia{protocollo}. Si allega la documentazione in nostro possesso e si chiede una verifica in procedura.",
    "Si sottopone il caso di {assistito} (CF {cf}){protocollo}: dai nostri controlli i dati non risultano coerenti con quanto dichiarato dal datore di lavoro. Si chiede cortese riscontro.",
    "Buongiorno, sollecitiamo un riscontro per {assistito}{protocollo}. L'assistito è in difficoltà economica e chiede di sapere se occorre altra documentazione.",
    "Per l'assistito {assistito} chiediamo di verificare l'importo{protocollo}, che risulta inferiore a quanto atteso. Restiamo a disposizione per un appuntamento.",
];

pub fn replies(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::AmmortizzatoriSociali => &[
            "Buongiorno, la domanda è stata istruita e il pagamento risulta disposto con valuta entro i prossimi 5 giorni lavorativi.",
            "Gentile patronato, la sospensione è dovuta al rapporto di lavoro comunicato con UniLav. Al termine del rapporto la prestazione riprenderà d'ufficio.",
            "L'importo è stato calcolato sulla retribuzione imponibile degli ultimi 4 anni; il prospetto di calcolo è consultabile nel fascicolo.",
        ],
        Topic::Pensioni => &[
            "Buongiorno, la ricostituzione è stata definita; il nuovo importo sarà in pagamento dalla prossima rata utile con i relativi arretrati.",
            "La trattenuta riguarda il conguaglio IRPEF dell'anno precedente, rateizzato come previsto. Il dettaglio è visibile nel cedolino.",
            "I requisiti contributivi risultano perfezionati; la decorrenza è il primo giorno del mese successivo alla maturazione.",
        ],
        Topic::InvaliditaCivile => &[
            "La pratica è stata trasmessa all'UOC per la fase sanitaria; la convocazione sarà inviata all'indirizzo di residenza.",
            "Gli arretrati sono stati liquidati e saranno accreditati con la prossima rata.",
            "Il verbale è disponibile nel fascicolo; se ne può scaricare copia dai servizi online.",
        ],
        Topic::AssegnoUnico => &[
            "L'ISEE risulta ora acquisito: l'importo è stato ricalcolato e gli arretrati saranno corrisposti con il prossimo pagamento.",
            "Per il figlio maggiorenne occorre indicare nella domanda la condizione (studio, lavoro, servizio civile). Si invita ad aggiornare la domanda.",
            "La variazione dell'IBAN è stata acquisita; il pagamento sospeso sarà riemesso.",
        ],
        Topic::Contributi => &[
            "I periodi segnalati sono stati accreditati; l'estratto conto aggiornato è visibile nel fascicolo.",
            "La domanda di riscatto è in istruttoria; l'onere sarà comunicato entro 30 giorni.",
            "Dalle verifiche i contributi risultano versati ma non ancora abbinati; si è provveduto alla sistemazione della posizione.",
        ],
    }
}

pub const INTERNAL_NOTES: &[&str] = &[
    "Verificato in procedura: manca il flusso UniEmens del datore di lavoro per due mensilità.",
    "Sentito il collega dell'area prestazioni: pratica in coda di lavorazione, priorità media.",
    "Caso simile a richiesta già evasa la settimana scorsa per lo stesso patronato.",
    "Da verificare con la linea prodotto: possibile anomalia del calcolo automatico.",
    "Proposto appuntamento telefonico se la documentazione non basta.",
];

pub const INTEGRATION_REQUESTS: &[&str] = &[
    "Per procedere si chiede di trasmettere copia del contratto di lavoro e delle ultime buste paga.",
    "Si chiede di inviare l'ISEE aggiornato e la dichiarazione di responsabilità dell'assistito.",
    "Occorre il certificato di stato di famiglia e il codice IBAN intestato all'assistito.",
    "Si chiede copia del documento di identità e della delega sottoscritta, non presente nel fascicolo.",
];

pub const INTEGRATIONS_SENT: &[&str] = &[
    "Si trasmette la documentazione richiesta. Restiamo in attesa di riscontro.",
    "In allegato quanto richiesto; l'assistito ha firmato la dichiarazione.",
    "Inviamo l'ISEE aggiornato e l'IBAN. Grazie per la collaborazione.",
];

pub const FOLLOW_UPS: &[&str] = &[
    "Grazie per la risposta. L'assistito segnala però che il pagamento non è ancora arrivato.",
    "La risposta non chiarisce il periodo precedente: si chiede un'ulteriore verifica.",
    "L'assistito ha ricevuto una comunicazione diversa da quanto indicato: si allega copia.",
];

pub const TAGS: &[&str] = &[
    "sollecito",
    "documentazione",
    "verifica-contributi",
    "appuntamento",
    "arretrati",
];
