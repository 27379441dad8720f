//! The mapping Spool suggests for a file's header: a guess per column from its name, in
//! English, Portuguese and Spanish, made so that the suggestion always passes
//! [`crate::Mapping::validate`] apart from a missing phone column. The marketer reviews it on
//! the mapping screen, so a wrong guess costs one click; an unrecognised header becomes a
//! property, which keeps its data rather than dropping it.

use std::collections::HashSet;

use crate::column::Column;
use crate::mapping::PROPERTY_NAME_MAX_CHARS;

/// The header Spool writes ([`crate::write`]); a file that starts with it is read back with
/// every other column as the property of that exact name.
pub const EXPORT_HEADERS: [&str; 7] = [
    "phone",
    "name",
    "tags",
    "marketing_consent",
    "consent_at",
    "locale",
    "timezone",
];

/// A suggested column per header, in order.
pub fn suggest(headers: &[String]) -> Vec<Column> {
    if let Some(columns) = export_columns(headers) {
        return columns;
    }
    let mut taken_kinds: Vec<Column> = Vec::new();
    let mut taken_names: HashSet<String> = HashSet::new();
    let mut columns: Vec<Column> = headers
        .iter()
        .map(|header| {
            let guess = guess(header);
            let repeated = guess.is_single() && taken_kinds.contains(&guess);
            match guess {
                Column::Property { .. } => property(header, &mut taken_names),
                _ if repeated => property(header, &mut taken_names),
                single => {
                    taken_kinds.push(single.clone());
                    single
                }
            }
        })
        .collect();
    // "Nombre" next to "Apellidos" is the first name, not the whole name.
    let has_last = columns.contains(&Column::LastName);
    let has_first = columns.contains(&Column::FirstName);
    if has_last
        && !has_first
        && let Some(name) = columns.iter_mut().find(|column| **column == Column::Name)
    {
        *name = Column::FirstName;
    }
    // A consent date alone cannot be imported; keep it as a property rather than suggest
    // a mapping that fails validation.
    if !columns.contains(&Column::MarketingConsent)
        && let Some(index) = columns
            .iter()
            .position(|column| *column == Column::ConsentAt)
    {
        columns[index] = property(&headers[index], &mut taken_names);
    }
    columns
}

/// The key a header becomes as a property: lower case, runs of spaces as `_`, at most
/// [`PROPERTY_NAME_MAX_CHARS`] characters.
pub fn property_key(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
        .chars()
        .take(PROPERTY_NAME_MAX_CHARS)
        .collect()
}

fn export_columns(headers: &[String]) -> Option<Vec<Column>> {
    let fixed = headers.get(..EXPORT_HEADERS.len())?;
    if fixed.iter().zip(EXPORT_HEADERS).any(|(a, b)| a != b) {
        return None;
    }
    let properties = headers[EXPORT_HEADERS.len()..]
        .iter()
        .map(|name| Column::Property { name: name.clone() });
    Some(
        [
            Column::Phone,
            Column::Name,
            Column::Tags,
            Column::MarketingConsent,
            Column::ConsentAt,
            Column::Locale,
            Column::Timezone,
        ]
        .into_iter()
        .chain(properties)
        .collect(),
    )
}

/// A property for `header`, named by its key or, when that key is taken, the key with `_2`,
/// `_3`… so that the suggestion's property names stay unique.
fn property(header: &str, taken: &mut HashSet<String>) -> Column {
    let key = match guess(header) {
        Column::Property { name } => name,
        _ => property_key(header),
    };
    let mut name = key.clone();
    let mut counter = 2;
    while taken.contains(&name) {
        let suffix = format!("_{counter}");
        let room = PROPERTY_NAME_MAX_CHARS - suffix.len();
        name = key.chars().take(room).collect::<String>() + &suffix;
        counter += 1;
    }
    taken.insert(name.clone());
    Column::Property { name }
}

const CONSENT_WORDS: &[&str] = &[
    "consent",
    "consents",
    "consented",
    "consentimento",
    "consentimiento",
    "optin",
    "opted",
    "marketing",
    "subscribed",
    "subscription",
    "permission",
    "permissao",
    "permiso",
];
const DATE_WORDS: &[&str] = &[
    "at",
    "date",
    "time",
    "timestamp",
    "when",
    "on",
    "data",
    "em",
    "quando",
    "fecha",
    "cuando",
    "hora",
];
const EMAIL_WORDS: &[&str] = &["email", "mail", "correo", "emails"];
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "telefone",
    "telefono",
    "fone",
    "celular",
    "cel",
    "cell",
    "cellphone",
    "mobile",
    "movil",
    "whatsapp",
    "wpp",
    "zap",
    "msisdn",
];
const NAME_WORDS: &[&str] = &["name", "nome", "nombre", "fullname"];
/// Names that are not the contact's: "Company name", "Nome da loja"…
const OTHER_NAME_WORDS: &[&str] = &[
    "company", "empresa", "business", "store", "shop", "loja", "tienda", "product", "produto",
    "producto", "user", "usuario", "file", "arquivo", "archivo", "campaign", "campanha", "campana",
];

/// The guess for one header, or `Property` with the header's key when nothing fits.
fn guess(header: &str) -> Column {
    let plain = plain(header);
    let words: Vec<&str> = plain.split(' ').filter(|word| !word.is_empty()).collect();
    let has = |list: &[&str]| words.iter().any(|word| list.contains(word));
    let phrase = |list: &[&str]| {
        let padded = format!(" {plain} ");
        list.iter().any(|p| padded.contains(&format!(" {p} ")))
    };
    let opt_in = phrase(&["opt in", "opted in", "accepts marketing"]) || has(CONSENT_WORDS);

    if words.is_empty() {
        return Column::Ignore;
    }
    if has(EMAIL_WORDS) || phrase(&["e mail"]) {
        // "Accepts Email Marketing" is about email, not WhatsApp: keep it as its own property.
        return if opt_in || words.len() > 3 {
            Column::Property {
                name: property_key(header),
            }
        } else {
            Column::Property {
                name: "email".into(),
            }
        };
    }
    if opt_in && has(DATE_WORDS) {
        return Column::ConsentAt;
    }
    if opt_in {
        return Column::MarketingConsent;
    }
    if has(&["timezone", "tz", "fuso"]) || phrase(&["time zone", "zona horaria", "huso horario"]) {
        return Column::Timezone;
    }
    if has(&["locale", "language", "lang", "idioma", "lingua"]) {
        return Column::Locale;
    }
    if has(&["country", "pais"]) {
        return Column::Country;
    }
    if has(&["firstname", "forename"])
        || phrase(&[
            "first name",
            "given name",
            "primeiro nome",
            "primer nombre",
            "nome proprio",
        ])
    {
        return Column::FirstName;
    }
    if has(&["lastname", "surname", "sobrenome", "apellido", "apellidos"])
        || phrase(&["last name", "family name", "ultimo nome"])
    {
        return Column::LastName;
    }
    if has(NAME_WORDS) && !has(OTHER_NAME_WORDS) {
        return Column::Name;
    }
    if has(&["tags", "tag", "etiquetas", "etiqueta", "labels", "label"]) {
        return Column::Tags;
    }
    if has(PHONE_WORDS) || matches!(words.as_slice(), ["number" | "numero"]) {
        return Column::Phone;
    }
    Column::Property {
        name: property_key(header),
    }
}

/// The header lower-cased, accents folded and punctuation turned to spaces, so that
/// "Teléfono", "TELEFONO" and "telefono:" compare equal; "opt-in" and "optin" both
/// become a single word.
fn plain(header: &str) -> String {
    let folded: String = header
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let joined = format!(
        " {} ",
        folded.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    joined
        .replace(" opt in ", " optin ")
        .replace(" opt out ", " optout ")
        .replace(" e mail ", " email ")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggest_for(headers: &[&str]) -> Vec<Column> {
        suggest(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>())
    }

    fn property(name: &str) -> Column {
        Column::Property { name: name.into() }
    }

    #[test]
    fn portuguese_headers_are_recognised() {
        assert_eq!(
            suggest_for(&[
                "Nome",
                "Telefone",
                "País",
                "Etiquetas",
                "Consentimento",
                "Data do consentimento",
                "E-mail",
                "Cidade natal",
                "Fuso horário",
                "Idioma",
            ]),
            vec![
                Column::Name,
                Column::Phone,
                Column::Country,
                Column::Tags,
                Column::MarketingConsent,
                Column::ConsentAt,
                property("email"),
                property("cidade_natal"),
                Column::Timezone,
                Column::Locale,
            ]
        );
    }

    #[test]
    fn spanish_nombre_beside_apellidos_is_the_first_name() {
        assert_eq!(
            suggest_for(&[
                "Nombre",
                "Apellidos",
                "Teléfono móvil",
                "Correo electrónico",
                "Acepta marketing",
                "Zona horaria"
            ]),
            vec![
                Column::FirstName,
                Column::LastName,
                Column::Phone,
                property("email"),
                Column::MarketingConsent,
                Column::Timezone,
            ]
        );
    }

    #[test]
    fn shopify_customer_export_is_recognised() {
        assert_eq!(
            suggest_for(&[
                "First Name",
                "Last Name",
                "Email",
                "Accepts Email Marketing",
                "Company",
                "Default Address Country Code",
                "Phone",
                "Accepts SMS Marketing",
                "Total Spent",
                "Tags",
            ]),
            vec![
                Column::FirstName,
                Column::LastName,
                property("email"),
                property("accepts_email_marketing"),
                property("company"),
                Column::Country,
                Column::Phone,
                Column::MarketingConsent,
                property("total_spent"),
                Column::Tags,
            ]
        );
    }

    #[test]
    fn whatsapp_celular_and_numero_are_phones_but_only_the_first_is_taken() {
        assert_eq!(
            suggest_for(&["WhatsApp", "Celular", "Número", "Order number"]),
            vec![
                Column::Phone,
                property("celular"),
                property("número"),
                property("order_number"),
            ]
        );
        assert_eq!(suggest_for(&["número"]), vec![Column::Phone]);
        assert_eq!(
            suggest_for(&["WhatsApp opt-in"]),
            vec![Column::MarketingConsent]
        );
    }

    #[test]
    fn a_consent_date_without_a_consent_column_stays_a_property() {
        assert_eq!(
            suggest_for(&["Phone", "Opt-in date"]),
            vec![Column::Phone, property("opt-in_date")]
        );
        assert_eq!(
            suggest_for(&["Phone", "Opt-in date", "Opt-in"]),
            vec![Column::Phone, Column::ConsentAt, Column::MarketingConsent]
        );
    }

    #[test]
    fn names_of_other_things_are_properties() {
        assert_eq!(
            suggest_for(&["Company name", "Nome da loja", "Full name"]),
            vec![
                property("company_name"),
                property("nome_da_loja"),
                Column::Name
            ]
        );
    }

    #[test]
    fn property_keys_are_lower_case_joined_short_and_unique() {
        let long = "A".repeat(80);
        assert_eq!(
            suggest_for(&[
                "Favourite  Colour",
                "favourite colour",
                &long,
                "",
                "Email",
                "E-mail"
            ]),
            vec![
                property("favourite_colour"),
                property("favourite_colour_2"),
                property(&"a".repeat(64)),
                Column::Ignore,
                property("email"),
                property("email_2"),
            ]
        );
    }

    #[test]
    fn a_spool_export_maps_back_column_for_column() {
        let headers: Vec<&str> = EXPORT_HEADERS
            .iter()
            .copied()
            .chain(["country", "Plan"])
            .collect();
        let columns = suggest_for(&headers);
        assert_eq!(
            columns[5..],
            [
                Column::Locale,
                Column::Timezone,
                property("country"),
                property("Plan")
            ]
        );
    }
}
