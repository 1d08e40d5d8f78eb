//! Weekly office hours.

use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One opening interval within a day, in minutes from local midnight; `end` may be 1440 (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DayInterval {
    pub start_minute: u16,
    pub end_minute: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    #[error("'{0}' is not an interval HH:MM-HH:MM")]
    Syntax(String),
    #[error("interval '{0}' ends before it starts")]
    Reversed(String),
    #[error("intervals overlap on {0:?}")]
    Overlap(Weekday),
}

/// Office hours for each weekday (Monday first); several intervals per day allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeeklyHours {
    days: [Vec<DayInterval>; 7],
}

impl Default for WeeklyHours {
    /// Monday–Friday 08:00–18:00.
    fn default() -> Self {
        let office = vec![DayInterval {
            start_minute: 8 * 60,
            end_minute: 18 * 60,
        }];
        Self {
            days: [
                office.clone(),
                office.clone(),
                office.clone(),
                office.clone(),
                office,
                Vec::new(),
                Vec::new(),
            ],
        }
    }
}

impl WeeklyHours {
    /// Every minute of every day (useful for 24/7 desks and tests).
    pub fn always() -> Self {
        let all = vec![DayInterval {
            start_minute: 0,
            end_minute: 24 * 60,
        }];
        Self {
            days: std::array::from_fn(|_| all.clone()),
        }
    }

    /// No opening at all.
    pub fn closed() -> Self {
        Self {
            days: std::array::from_fn(|_| Vec::new()),
        }
    }

    /// Replaces the intervals of one weekday, e.g. `"08:00-13:00, 14:00-17:30"`; empty = closed.
    pub fn set_day(&mut self, weekday: Weekday, spec: &str) -> Result<(), HoursError> {
        let mut intervals = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| HoursError::Syntax(part.into()))?;
            let start = parse_minute(a.trim()).ok_or_else(|| HoursError::Syntax(part.into()))?;
            let end = parse_minute(b.trim()).ok_or_else(|| HoursError::Syntax(part.into()))?;
            if end <= start {
                return Err(HoursError::Reversed(part.into()));
            }
            intervals.push(DayInterval {
                start_minute: start,
                end_minute: end,
            });
        }
        intervals.sort_by_key(|i| i.start_minute);
        if intervals
            .windows(2)
            .any(|w| w[1].start_minute < w[0].end_minute)
        {
            return Err(HoursError::Overlap(weekday));
        }
        self.days[weekday.to_monday_zero_offset() as usize] = intervals;
        Ok(())
    }

    pub fn intervals(&self, weekday: Weekday) -> &[DayInterval] {
        &self.days[weekday.to_monday_zero_offset() as usize]
    }

    pub fn is_working_day(&self, weekday: Weekday) -> bool {
        !self.intervals(weekday).is_empty()
    }
}

fn parse_minute(text: &str) -> Option<u16> {
    if text == "24:00" {
        return Some(24 * 60);
    }
    let time: Time = text.parse().ok()?;
    if time.second() != 0 || text.len() != 5 {
        return None;
    }
    Some(time.hour() as u16 * 60 + time.minute() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_days_and_rejects_bad_specs() {
        let mut hours = WeeklyHours::closed();
        hours
            .set_day(Weekday::Tuesday, "14:00-17:30, 08:00-13:00")
            .unwrap();
        assert_eq!(
            hours.intervals(Weekday::Tuesday),
            &[
                DayInterval {
                    start_minute: 480,
                    end_minute: 780
                },
                DayInterval {
                    start_minute: 840,
                    end_minute: 1050
                }
            ]
        );
        assert!(hours.set_day(Weekday::Monday, "8-18").is_err());
        assert!(hours.set_day(Weekday::Monday, "18:00-08:00").is_err());
        assert!(
            hours
                .set_day(Weekday::Monday, "08:00-12:00,11:00-13:00")
                .is_err()
        );
        assert!(hours.set_day(Weekday::Monday, "00:00-24:00").is_ok());
    }
}
