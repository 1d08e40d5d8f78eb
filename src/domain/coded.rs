//! One table per enum for its wire and storage codes: the variant list, `ALL`, `code`,
//! `from_code` and the serde names all come from the same `Variant = "code"` lines, so they
//! cannot drift apart.

/// Declares an enum whose variants each carry a stable snake_case code.
///
/// ```text
/// coded_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
///     pub enum Priority { Normale = "normale", Urgente = "urgente" }
/// }
/// ```
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stable code (API, storage, config).
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code ),+
                }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some($name::$variant), )+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use coded_enum;
