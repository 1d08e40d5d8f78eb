//! Italian national holidays and the Gregorian computus.

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

/// A national holiday (festività nazionale) of the Italian Republic.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NationalHoliday {
    Capodanno,
    Epifania,
    LunediDellAngelo,
    Liberazione,
    FestaDelLavoro,
    FestaDellaRepubblica,
    Ferragosto,
    /// 4 October, national holiday from 2026 (L. 151/2025).
    SanFrancesco,
    Ognissanti,
    Immacolata,
    Natale,
    SantoStefano,
    /// 17 March 2011, 150th anniversary of the unification of Italy: a one-off national holiday
    /// (DL 5/2011, L. 47/2011).
    UnitaDItalia150,
}

impl NationalHoliday {
    /// Italian name, as shown to operators.
    pub fn name_it(self) -> &'static str {
        match self {
            Self::Capodanno => "Capodanno",
            Self::Epifania => "Epifania",
            Self::LunediDellAngelo => "Lunedì dell'Angelo",
            Self::Liberazione => "Festa della Liberazione",
            Self::FestaDelLavoro => "Festa del Lavoro",
            Self::FestaDellaRepubblica => "Festa della Repubblica",
            Self::Ferragosto => "Ferragosto",
            Self::SanFrancesco => "San Francesco d'Assisi",
            Self::Ognissanti => "Ognissanti",
            Self::Immacolata => "Immacolata Concezione",
            Self::Natale => "Natale",
            Self::SantoStefano => "Santo Stefano",
            Self::UnitaDItalia150 => "150° anniversario dell'Unità d'Italia",
        }
    }
}

/// Easter Sunday of `year` (Gregorian calendar; anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction of the algorithm.
    date(year, month as i8, day as i8)
}

/// Every national holiday of `year`, in date order, weekends included.
pub fn national_holidays(year: i16) -> Vec<(Date, NationalHoliday)> {
    use NationalHoliday::*;
    let mut days = vec![
        (date(year, 1, 1), Capodanno),
        (date(year, 1, 6), Epifania),
        (
            easter_sunday(year).tomorrow().unwrap_or(date(year, 4, 1)),
            LunediDellAngelo,
        ),
        (date(year, 4, 25), Liberazione),
        (date(year, 5, 1), FestaDelLavoro),
        (date(year, 8, 15), Ferragosto),
        (date(year, 11, 1), Ognissanti),
        (date(year, 12, 8), Immacolata),
        (date(year, 12, 25), Natale),
        (date(year, 12, 26), SantoStefano),
    ];
    // 2 June restored from 2001 (L. 336/2000); before, it moved to the first Sunday of June.
    if year >= 2001 {
        days.push((date(year, 6, 2), FestaDellaRepubblica));
    }
    if year >= 2026 {
        days.push((date(year, 10, 4), SanFrancesco));
    }
    // One-off national holidays declared by decree.
    if year == 2011 {
        days.push((date(2011, 3, 17), UnitaDItalia150));
    }
    days.sort();
    days
}
