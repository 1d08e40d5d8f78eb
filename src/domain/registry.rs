//! Registries: patronati, offices (sedi), comuni.
//!
//! Static reference data compiled into the binary. Facts that sources disagree on (Palermo's patron
//! day, movable feasts) are data here and overridable in the calendar configuration.

use super::office::Office;

/// A patronato that signed the 2022 INPS–Patronati protocol of intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patronato {
    /// Stable ASCII code used on the wire and in storage, e.g. `INCA`.
    pub code: &'static str,
    /// Name as commonly written, e.g. "INCA CGIL".
    pub name: &'static str,
    /// The organisation that promotes the patronato; `None` where we could not confirm it.
    pub promoter: Option<&'static str>,
}

/// Patron-saint day of a comune (a local holiday for offices there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatronSaint {
    pub month: i8,
    pub day: i8,
    pub saint: &'static str,
}

/// An Italian comune (all provincial capitals are listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comune {
    pub name: &'static str,
    /// Two-letter province code (sigla), e.g. `RM`.
    pub province: &'static str,
    pub region: &'static str,
    /// Belfiore cadastral code (letter + 3 digits), used in the codice fiscale.
    pub belfiore: &'static str,
    /// `None` where the feast is movable (e.g. Asti's first Tuesday of May) or unconfirmed.
    pub patron_saint: Option<PatronSaint>,
}

/// An INPS office (sede) known to the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeInfo {
    /// Stable code, e.g. `RM01`.
    pub code: &'static str,
    pub name: &'static str,
    /// Name of the comune where the office is; always present in [`comuni`].
    pub comune: &'static str,
}

impl OfficeInfo {
    pub fn comune(&self) -> Option<&'static Comune> {
        comune_by_name(self.comune)
    }

    /// The storage/wire form, with province and region filled in from the comune table.
    pub fn to_office(&self) -> Office {
        let (province, region) = self
            .comune()
            .map(|c| (c.province, c.region))
            .unwrap_or(("", ""));
        Office {
            code: self.code.to_string(),
            name: self.name.to_string(),
            comune: self.comune.to_string(),
            province: province.to_string(),
            region: region.to_string(),
        }
    }
}

const fn p(code: &'static str, name: &'static str, promoter: Option<&'static str>) -> Patronato {
    Patronato {
        code,
        name,
        promoter,
    }
}

static PATRONATI: [Patronato; 24] = [
    p(
        "ACLI",
        "Patronato ACLI",
        Some("ACLI – Associazioni Cristiane Lavoratori Italiani"),
    ),
    p("INCA", "INCA CGIL", Some("CGIL")),
    p("INAS", "INAS CISL", Some("CISL")),
    p("ITAL", "ITAL UIL", Some("UIL")),
    p("ENASC", "ENASC", Some("UNSIC")),
    p("ENCAL", "ENCAL CISAL", Some("CISAL")),
    p("EPAS", "EPAS", None),
    p("SIAS", "SIAS", Some("MCL – Movimento Cristiano Lavoratori")),
    p("ENAPA", "ENAPA", Some("Confagricoltura")),
    p("ENASCO", "50&PIÙ ENASCO", Some("Confcommercio")),
    p("EPACA", "EPACA", Some("Coldiretti")),
    p("EPASA", "EPASA", Some("CNA")),
    p("INAC", "INAC", Some("CIA – Agricoltori Italiani")),
    p("INAPA", "INAPA", Some("Confartigianato")),
    p(
        "ACAI",
        "ACAI",
        Some("ACAI – Associazione Cristiana Artigiani Italiani"),
    ),
    p("ENAC", "ENAC", None),
    p("INPAL", "INPAL", None),
    p("LABOR", "LABOR", None),
    p("SBR", "SBR", Some("Südtiroler Bauernbund")),
    p("SENAS", "SeNAS", None),
    p("INAPI", "INAPI", None),
    p("INPAS", "INPAS", None),
    p(
        "ANMIL",
        "ANMIL",
        Some("ANMIL – Associazione Nazionale fra Lavoratori Mutilati e Invalidi del Lavoro"),
    ),
    p("EPAC", "EPAC", None),
];

const fn c(
    name: &'static str,
    province: &'static str,
    region: &'static str,
    belfiore: &'static str,
    patron: Option<(i8, i8, &'static str)>,
) -> Comune {
    let patron_saint = match patron {
        Some((day, month, saint)) => Some(PatronSaint { month, day, saint }),
        None => None,
    };
    Comune {
        name,
        province,
        region,
        belfiore,
        patron_saint,
    }
}

const PIE: &str = "Piemonte";
const VDA: &str = "Valle d'Aosta";
const LOM: &str = "Lombardia";
const TAA: &str = "Trentino-Alto Adige";
const VEN: &str = "Veneto";
const FVG: &str = "Friuli-Venezia Giulia";
const LIG: &str = "Liguria";
const EMR: &str = "Emilia-Romagna";
const TOS: &str = "Toscana";
const UMB: &str = "Umbria";
const MAR: &str = "Marche";
const LAZ: &str = "Lazio";
const ABR: &str = "Abruzzo";
const MOL: &str = "Molise";
const CAM: &str = "Campania";
const PUG: &str = "Puglia";
const BAS: &str = "Basilicata";
const CAL: &str = "Calabria";
const SIC: &str = "Sicilia";
const SAR: &str = "Sardegna";

/// One capital per province (for provinces with several seats, the first-named one).
/// Patron days are (day, month).
static COMUNI: [Comune; 107] = [
    // Piemonte
    c(
        "Torino",
        "TO",
        PIE,
        "L219",
        Some((24, 6, "San Giovanni Battista")),
    ),
    c(
        "Alessandria",
        "AL",
        PIE,
        "A182",
        Some((10, 11, "San Baudolino")),
    ),
    c("Asti", "AT", PIE, "A479", None), // San Secondo: first Tuesday of May
    c("Biella", "BI", PIE, "A859", Some((26, 12, "Santo Stefano"))),
    c(
        "Cuneo",
        "CN",
        PIE,
        "D205",
        Some((29, 9, "San Michele Arcangelo")),
    ),
    c("Novara", "NO", PIE, "F952", Some((22, 1, "San Gaudenzio"))),
    c("Verbania", "VB", PIE, "L746", Some((8, 5, "San Vittore"))),
    c("Vercelli", "VC", PIE, "L750", Some((1, 8, "Sant'Eusebio"))),
    // Valle d'Aosta
    c("Aosta", "AO", VDA, "A326", Some((7, 9, "San Grato"))),
    // Lombardia
    c("Milano", "MI", LOM, "F205", Some((7, 12, "Sant'Ambrogio"))),
    c(
        "Bergamo",
        "BG",
        LOM,
        "A794",
        Some((26, 8, "Sant'Alessandro")),
    ),
    c(
        "Brescia",
        "BS",
        LOM,
        "B157",
        Some((15, 2, "Santi Faustino e Giovita")),
    ),
    c("Como", "CO", LOM, "C933", Some((31, 8, "Sant'Abbondio"))),
    c("Cremona", "CR", LOM, "D150", Some((13, 11, "Sant'Omobono"))),
    c("Lecco", "LC", LOM, "E507", Some((6, 12, "San Nicolò"))),
    c("Lodi", "LO", LOM, "E648", Some((19, 1, "San Bassiano"))),
    c("Mantova", "MN", LOM, "E897", Some((18, 3, "Sant'Anselmo"))),
    c(
        "Monza",
        "MB",
        LOM,
        "F704",
        Some((24, 6, "San Giovanni Battista")),
    ),
    c("Pavia", "PV", LOM, "G388", Some((9, 12, "San Siro"))),
    c(
        "Sondrio",
        "SO",
        LOM,
        "I829",
        Some((19, 6, "Santi Gervasio e Protasio")),
    ),
    c("Varese", "VA", LOM, "L682", Some((8, 5, "San Vittore"))),
    // Trentino-Alto Adige
    c("Trento", "TN", TAA, "L378", Some((26, 6, "San Vigilio"))),
    c("Bolzano", "BZ", TAA, "A952", None),
    // Veneto
    c("Venezia", "VE", VEN, "L736", Some((25, 4, "San Marco"))),
    c("Belluno", "BL", VEN, "A757", Some((11, 11, "San Martino"))),
    c(
        "Padova",
        "PD",
        VEN,
        "G224",
        Some((13, 6, "Sant'Antonio di Padova")),
    ),
    c("Rovigo", "RO", VEN, "H620", Some((26, 11, "San Bellino"))),
    c("Treviso", "TV", VEN, "L407", Some((27, 4, "San Liberale"))),
    c("Verona", "VR", VEN, "L781", Some((21, 5, "San Zeno"))),
    c(
        "Vicenza",
        "VI",
        VEN,
        "L840",
        Some((8, 9, "Madonna di Monte Berico")),
    ),
    // Friuli-Venezia Giulia
    c("Trieste", "TS", FVG, "L424", Some((3, 11, "San Giusto"))),
    c(
        "Gorizia",
        "GO",
        FVG,
        "E098",
        Some((16, 3, "Santi Ilario e Taziano")),
    ),
    c("Pordenone", "PN", FVG, "G888", Some((25, 4, "San Marco"))),
    c(
        "Udine",
        "UD",
        FVG,
        "L483",
        Some((12, 7, "Santi Ermacora e Fortunato")),
    ),
    // Liguria
    c(
        "Genova",
        "GE",
        LIG,
        "D969",
        Some((24, 6, "San Giovanni Battista")),
    ),
    c(
        "Imperia",
        "IM",
        LIG,
        "E290",
        Some((26, 11, "San Leonardo da Porto Maurizio")),
    ),
    c(
        "La Spezia",
        "SP",
        LIG,
        "E463",
        Some((19, 3, "San Giuseppe")),
    ),
    c(
        "Savona",
        "SV",
        LIG,
        "I480",
        Some((18, 3, "Nostra Signora della Misericordia")),
    ),
    // Emilia-Romagna
    c("Bologna", "BO", EMR, "A944", Some((4, 10, "San Petronio"))),
    c("Ferrara", "FE", EMR, "D548", Some((23, 4, "San Giorgio"))),
    c(
        "Forlì",
        "FC",
        EMR,
        "D704",
        Some((4, 2, "Madonna del Fuoco")),
    ),
    c("Modena", "MO", EMR, "F257", Some((31, 1, "San Geminiano"))),
    c("Parma", "PR", EMR, "G337", Some((13, 1, "Sant'Ilario"))),
    c("Piacenza", "PC", EMR, "G535", Some((4, 7, "Sant'Antonino"))),
    c(
        "Ravenna",
        "RA",
        EMR,
        "H199",
        Some((23, 7, "Sant'Apollinare")),
    ),
    c(
        "Reggio Emilia",
        "RE",
        EMR,
        "H223",
        Some((24, 11, "San Prospero")),
    ),
    c("Rimini", "RN", EMR, "H294", Some((14, 10, "San Gaudenzo"))),
    // Toscana
    c(
        "Firenze",
        "FI",
        TOS,
        "D612",
        Some((24, 6, "San Giovanni Battista")),
    ),
    c("Arezzo", "AR", TOS, "A390", Some((7, 8, "San Donato"))),
    c("Grosseto", "GR", TOS, "E202", Some((10, 8, "San Lorenzo"))),
    c("Livorno", "LI", TOS, "E625", Some((22, 5, "Santa Giulia"))),
    c("Lucca", "LU", TOS, "E715", Some((12, 7, "San Paolino"))),
    c(
        "Massa",
        "MS",
        TOS,
        "F023",
        Some((4, 10, "San Francesco d'Assisi")),
    ),
    c("Pisa", "PI", TOS, "G702", Some((17, 6, "San Ranieri"))),
    c("Pistoia", "PT", TOS, "G713", Some((25, 7, "San Jacopo"))),
    c("Prato", "PO", TOS, "G999", Some((26, 12, "Santo Stefano"))),
    c("Siena", "SI", TOS, "I726", Some((1, 12, "Sant'Ansano"))),
    // Umbria
    c("Perugia", "PG", UMB, "G478", Some((29, 1, "San Costanzo"))),
    c("Terni", "TR", UMB, "L117", Some((14, 2, "San Valentino"))),
    // Marche
    c("Ancona", "AN", MAR, "A271", Some((4, 5, "San Ciriaco"))),
    c(
        "Ascoli Piceno",
        "AP",
        MAR,
        "A462",
        Some((5, 8, "Sant'Emidio")),
    ),
    c(
        "Fermo",
        "FM",
        MAR,
        "D542",
        Some((15, 8, "Maria Santissima Assunta")),
    ),
    c("Macerata", "MC", MAR, "E783", Some((31, 8, "San Giuliano"))),
    c("Pesaro", "PU", MAR, "G479", Some((24, 9, "San Terenzio"))),
    // Lazio
    c(
        "Roma",
        "RM",
        LAZ,
        "H501",
        Some((29, 6, "Santi Pietro e Paolo")),
    ),
    c(
        "Frosinone",
        "FR",
        LAZ,
        "D810",
        Some((20, 6, "San Silverio")),
    ),
    c("Latina", "LT", LAZ, "E472", Some((25, 4, "San Marco"))),
    c("Rieti", "RI", LAZ, "H282", Some((4, 12, "Santa Barbara"))),
    c("Viterbo", "VT", LAZ, "M082", Some((4, 9, "Santa Rosa"))),
    // Abruzzo
    c("L'Aquila", "AQ", ABR, "A345", Some((10, 6, "San Massimo"))),
    c("Chieti", "CH", ABR, "C632", Some((11, 5, "San Giustino"))),
    c("Pescara", "PE", ABR, "G482", Some((10, 10, "San Cetteo"))),
    c("Teramo", "TE", ABR, "L103", Some((19, 12, "San Berardo"))),
    // Molise
    c(
        "Campobasso",
        "CB",
        MOL,
        "B519",
        Some((23, 4, "San Giorgio")),
    ),
    c(
        "Isernia",
        "IS",
        MOL,
        "E335",
        Some((19, 5, "San Pietro Celestino")),
    ),
    // Campania
    c("Napoli", "NA", CAM, "F839", Some((19, 9, "San Gennaro"))),
    c(
        "Avellino",
        "AV",
        CAM,
        "A509",
        Some((14, 2, "San Modestino")),
    ),
    c(
        "Benevento",
        "BN",
        CAM,
        "A783",
        Some((24, 8, "San Bartolomeo")),
    ),
    c(
        "Caserta",
        "CE",
        CAM,
        "B963",
        Some((20, 1, "San Sebastiano")),
    ),
    c("Salerno", "SA", CAM, "H703", Some((21, 9, "San Matteo"))),
    // Puglia
    c("Bari", "BA", PUG, "A662", Some((6, 12, "San Nicola"))),
    c("Barletta", "BT", PUG, "A669", Some((30, 12, "San Ruggero"))),
    c("Brindisi", "BR", PUG, "B180", None), // first Sunday of September
    c("Foggia", "FG", PUG, "D643", None),
    c("Lecce", "LE", PUG, "E506", Some((26, 8, "Sant'Oronzo"))),
    c("Taranto", "TA", PUG, "L049", Some((10, 5, "San Cataldo"))),
    // Basilicata
    c("Potenza", "PZ", BAS, "G942", Some((30, 5, "San Gerardo"))),
    c(
        "Matera",
        "MT",
        BAS,
        "F052",
        Some((2, 7, "Madonna della Bruna")),
    ),
    // Calabria
    c(
        "Catanzaro",
        "CZ",
        CAL,
        "C352",
        Some((16, 7, "San Vitaliano")),
    ),
    c(
        "Cosenza",
        "CS",
        CAL,
        "D086",
        Some((12, 2, "Madonna del Pilerio")),
    ),
    c("Crotone", "KR", CAL, "D122", Some((9, 10, "San Dionigi"))),
    c(
        "Reggio Calabria",
        "RC",
        CAL,
        "H224",
        Some((23, 4, "San Giorgio")),
    ),
    c(
        "Vibo Valentia",
        "VV",
        CAL,
        "F537",
        Some((1, 3, "San Leoluca")),
    ),
    // Sicilia
    c("Palermo", "PA", SIC, "G273", Some((15, 7, "Santa Rosalia"))),
    c(
        "Agrigento",
        "AG",
        SIC,
        "A089",
        Some((25, 2, "San Gerlando")),
    ),
    c(
        "Caltanissetta",
        "CL",
        SIC,
        "B429",
        Some((29, 9, "San Michele Arcangelo")),
    ),
    c("Catania", "CT", SIC, "C351", Some((5, 2, "Sant'Agata"))),
    c(
        "Enna",
        "EN",
        SIC,
        "C342",
        Some((2, 7, "Maria Santissima della Visitazione")),
    ),
    c(
        "Messina",
        "ME",
        SIC,
        "F158",
        Some((3, 6, "Madonna della Lettera")),
    ),
    c(
        "Ragusa",
        "RG",
        SIC,
        "H163",
        Some((29, 8, "San Giovanni Battista")),
    ),
    c("Siracusa", "SR", SIC, "I754", Some((13, 12, "Santa Lucia"))),
    c("Trapani", "TP", SIC, "L331", Some((7, 8, "Sant'Alberto"))),
    // Sardegna
    c(
        "Cagliari",
        "CA",
        SAR,
        "B354",
        Some((30, 10, "San Saturnino")),
    ),
    c(
        "Nuoro",
        "NU",
        SAR,
        "F979",
        Some((5, 8, "Nostra Signora della Neve")),
    ),
    c(
        "Oristano",
        "OR",
        SAR,
        "G113",
        Some((13, 2, "Sant'Archelao")),
    ),
    c("Sassari", "SS", SAR, "I452", Some((6, 12, "San Nicola"))),
    c("Carbonia", "SU", SAR, "B745", None),
];

const fn o(code: &'static str, name: &'static str, comune: &'static str) -> OfficeInfo {
    OfficeInfo { code, name, comune }
}

static OFFICES: [OfficeInfo; 16] = [
    o("RM01", "Sede provinciale di Roma", "Roma"),
    o("RM02", "Agenzia complessa Roma Eur", "Roma"),
    o("MI01", "Sede provinciale di Milano", "Milano"),
    o("NA01", "Sede provinciale di Napoli", "Napoli"),
    o("TO01", "Sede provinciale di Torino", "Torino"),
    o("GE01", "Sede provinciale di Genova", "Genova"),
    o("FI01", "Sede provinciale di Firenze", "Firenze"),
    o("BO01", "Sede provinciale di Bologna", "Bologna"),
    o("VE01", "Sede provinciale di Venezia", "Venezia"),
    o("BA01", "Sede provinciale di Bari", "Bari"),
    o("TS01", "Sede provinciale di Trieste", "Trieste"),
    o("PA01", "Sede provinciale di Palermo", "Palermo"),
    o("CA01", "Sede provinciale di Cagliari", "Cagliari"),
    o("PG01", "Sede provinciale di Perugia", "Perugia"),
    o("AN01", "Sede provinciale di Ancona", "Ancona"),
    o("CZ01", "Sede provinciale di Catanzaro", "Catanzaro"),
];

/// A foreign state as it appears in a codice fiscale (Belfiore codes `Z…`). A selection of the
/// countries of birth most common among people living in Italy, not the full table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignState {
    pub name: &'static str,
    pub belfiore: &'static str,
}

static FOREIGN_STATES: [ForeignState; 12] = [
    ForeignState {
        name: "Albania",
        belfiore: "Z100",
    },
    ForeignState {
        name: "Francia",
        belfiore: "Z110",
    },
    ForeignState {
        name: "Germania",
        belfiore: "Z112",
    },
    ForeignState {
        name: "Romania",
        belfiore: "Z129",
    },
    ForeignState {
        name: "Svizzera",
        belfiore: "Z133",
    },
    ForeignState {
        name: "Ucraina",
        belfiore: "Z138",
    },
    ForeignState {
        name: "Cina",
        belfiore: "Z210",
    },
    ForeignState {
        name: "Filippine",
        belfiore: "Z216",
    },
    ForeignState {
        name: "India",
        belfiore: "Z222",
    },
    ForeignState {
        name: "Marocco",
        belfiore: "Z330",
    },
    ForeignState {
        name: "Tunisia",
        belfiore: "Z352",
    },
    ForeignState {
        name: "Argentina",
        belfiore: "Z600",
    },
];

pub fn foreign_states() -> &'static [ForeignState] {
    &FOREIGN_STATES
}

/// Name of the comune or foreign state with this Belfiore code.
pub fn birthplace_name(belfiore: &str) -> Option<&'static str> {
    comune_by_belfiore(belfiore).map(|c| c.name).or_else(|| {
        FOREIGN_STATES
            .iter()
            .find(|s| s.belfiore.eq_ignore_ascii_case(belfiore.trim()))
            .map(|s| s.name)
    })
}

pub fn patronati() -> &'static [Patronato] {
    &PATRONATI
}

/// Case-insensitive lookup by code.
pub fn patronato(code: &str) -> Option<&'static Patronato> {
    PATRONATI.iter().find(|p| p.code.eq_ignore_ascii_case(code))
}

pub fn comuni() -> &'static [Comune] {
    &COMUNI
}

/// Case-insensitive lookup by name (exact otherwise: "Reggio Emilia", "L'Aquila").
pub fn comune_by_name(name: &str) -> Option<&'static Comune> {
    let name = name.trim();
    let wanted = name.to_lowercase();
    COMUNI.iter().find(|c| c.name.to_lowercase() == wanted)
}

/// Lookup by Belfiore code (case-insensitive).
pub fn comune_by_belfiore(code: &str) -> Option<&'static Comune> {
    COMUNI
        .iter()
        .find(|c| c.belfiore.eq_ignore_ascii_case(code.trim()))
}

/// Lookup by province code (sigla) of its capital.
pub fn comune_by_province(province: &str) -> Option<&'static Comune> {
    COMUNI
        .iter()
        .find(|c| c.province.eq_ignore_ascii_case(province.trim()))
}

/// A local feast whose date moves from year to year, kept apart from [`PatronSaint`] (fixed dates)
/// because its date needs a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovableFeast {
    pub comune: &'static str,
    pub date: crate::domain::calendar::FeastDate,
    pub saint: &'static str,
}

static MOVABLE_FEASTS: [MovableFeast; 2] = [
    // South Tyrol keeps Whit Monday (Pfingstmontag) as a local holiday: Easter + 50 days.
    MovableFeast {
        comune: "Bolzano",
        date: crate::domain::calendar::FeastDate::EasterOffset { days: 50 },
        saint: "Lunedì di Pentecoste",
    },
    // San Secondo, patron of Asti: the first Tuesday of May.
    MovableFeast {
        comune: "Asti",
        date: crate::domain::calendar::FeastDate::NthWeekday {
            month: 5,
            nth: 1,
            weekday: jiff::civil::Weekday::Tuesday,
        },
        saint: "San Secondo",
    },
];

/// The movable local feast of a comune, if it has one (case-insensitive name).
pub fn movable_feast(comune: &str) -> Option<&'static MovableFeast> {
    MOVABLE_FEASTS
        .iter()
        .find(|f| f.comune.eq_ignore_ascii_case(comune.trim()))
}

pub fn offices() -> &'static [OfficeInfo] {
    &OFFICES
}

/// Case-insensitive lookup by office code.
pub fn office(code: &str) -> Option<&'static OfficeInfo> {
    OFFICES
        .iter()
        .find(|o| o.code.eq_ignore_ascii_case(code.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn patronati_are_the_24_signatories_with_unique_codes() {
        assert_eq!(patronati().len(), 24);
        let codes: BTreeSet<_> = patronati().iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), 24);
        assert_eq!(patronato("inca").map(|p| p.name), Some("INCA CGIL"));
        assert_eq!(patronato("ENASCO").map(|p| p.name), Some("50&PIÙ ENASCO"));
        assert!(patronato("XYZ").is_none());
        for p in patronati() {
            assert!(
                p.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
    }

    #[test]
    fn every_province_code_is_unique_and_well_formed() {
        let provinces: BTreeSet<_> = comuni().iter().map(|c| c.province).collect();
        assert_eq!(provinces.len(), comuni().len());
        for c in comuni() {
            assert_eq!(c.province.len(), 2, "{}", c.name);
            assert!(
                c.province.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                c.name
            );
        }
        let regions: BTreeSet<_> = comuni().iter().map(|c| c.region).collect();
        assert_eq!(regions.len(), 20);
    }

    #[test]
    fn every_belfiore_code_is_well_formed_and_unique() {
        let codes: BTreeSet<_> = comuni().iter().map(|c| c.belfiore).collect();
        assert_eq!(codes.len(), comuni().len());
        for c in comuni() {
            let b = c.belfiore.as_bytes();
            assert_eq!(b.len(), 4, "{}", c.name);
            assert!(b[0].is_ascii_uppercase(), "{}", c.name);
            assert!(b[1..].iter().all(u8::is_ascii_digit), "{}", c.name);
        }
    }

    #[test]
    fn patron_days_are_real_dates() {
        for c in comuni() {
            if let Some(s) = c.patron_saint {
                assert!(
                    jiff::civil::Date::new(2024, s.month, s.day).is_ok(),
                    "{}",
                    c.name
                );
                assert!(!s.saint.is_empty());
            }
        }
    }

    #[test]
    fn known_patron_days() {
        let day = |name: &str| {
            let s = comune_by_name(name).and_then(|c| c.patron_saint).unwrap();
            (s.day, s.month)
        };
        assert_eq!(day("Roma"), (29, 6));
        assert_eq!(
            comune_by_name("roma").unwrap().patron_saint.unwrap().saint,
            "Santi Pietro e Paolo"
        );
        assert_eq!(day("Milano"), (7, 12));
        assert_eq!(day("Napoli"), (19, 9));
        assert_eq!(day("Torino"), (24, 6));
        assert_eq!(day("Genova"), (24, 6));
        assert_eq!(day("Firenze"), (24, 6));
        assert_eq!(day("Bologna"), (4, 10));
        assert_eq!(day("Venezia"), (25, 4));
        assert_eq!(day("Bari"), (6, 12));
        assert_eq!(day("Trieste"), (3, 11));
        assert_eq!(day("Palermo"), (15, 7));
        assert_eq!(day("Cagliari"), (30, 10));
    }

    #[test]
    fn lookups() {
        assert_eq!(comune_by_belfiore("h501").map(|c| c.name), Some("Roma"));
        assert_eq!(comune_by_belfiore("F205").map(|c| c.name), Some("Milano"));
        assert_eq!(comune_by_name("l'aquila").map(|c| c.belfiore), Some("A345"));
        assert_eq!(comune_by_name("Forlì").map(|c| c.province), Some("FC"));
        assert_eq!(comune_by_province("rm").map(|c| c.name), Some("Roma"));
        assert!(comune_by_belfiore("Z999").is_none());
        assert_eq!(birthplace_name("Z129"), Some("Romania"));
        assert_eq!(birthplace_name("L219"), Some("Torino"));
        assert!(foreign_states().iter().all(|s| s.belfiore.starts_with('Z')));
    }

    #[test]
    fn offices_cover_twelve_regions_with_known_comuni() {
        assert!(offices().len() >= 14);
        let codes: BTreeSet<_> = offices().iter().map(|o| o.code).collect();
        assert_eq!(codes.len(), offices().len());
        let regions: BTreeSet<_> = offices()
            .iter()
            .map(|o| o.comune().expect("office comune in registry").region)
            .collect();
        assert!(regions.len() >= 12, "{regions:?}");
        let rome = office("rm01").unwrap().to_office();
        assert_eq!(rome.province, "RM");
        assert_eq!(rome.region, "Lazio");
        assert_eq!(rome.comune, "Roma");
    }
}
