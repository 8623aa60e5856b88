//! Completing truncated properties: a page object lists at most 25
//! references in a relation or people property (`has_more: true` beyond);
//! the rest are read through the page-property endpoint.

use futures::TryStreamExt;

use crate::client::{ClientError, NotionClient};
use crate::model::{Page, PropertyKind};

/// Replaces every truncated relation, people, title or rich-text property of
/// `page` by its complete value. Returns how many properties were completed.
pub(crate) async fn complete_truncated(
    client: &NotionClient,
    page: &mut Page,
) -> Result<usize, ClientError> {
    let truncated: Vec<(String, String)> = page
        .properties
        .iter()
        .filter(|(_, p)| p.has_more == Some(true))
        .map(|(name, p)| (name.clone(), p.id.clone()))
        .collect();
    for (name, property_id) in &truncated {
        let items: Vec<_> = client
            .page_property_all(&page.id, property_id)
            .try_collect()
            .await?;
        let Some(property) = page.properties.get_mut(name) else {
            continue;
        };
        let mut complete = empty_like(&property.value);
        for item in items {
            append(&mut complete, item.value);
        }
        if let Some(complete) = complete {
            property.value = complete;
            property.has_more = Some(false);
        }
    }
    Ok(truncated.len())
}

/// An empty value of the same list type, or `None` for types that are not
/// lists (their single item is the whole value).
fn empty_like(kind: &PropertyKind) -> Option<PropertyKind> {
    Some(match kind {
        PropertyKind::Relation(_) => PropertyKind::Relation(Vec::new()),
        PropertyKind::People(_) => PropertyKind::People(Vec::new()),
        PropertyKind::Title(_) => PropertyKind::Title(Vec::new()),
        PropertyKind::RichText(_) => PropertyKind::RichText(Vec::new()),
        _ => return None,
    })
}

/// Appends one property item's list to the value being assembled.
fn append(into: &mut Option<PropertyKind>, item: PropertyKind) {
    match (into.as_mut(), item) {
        (Some(PropertyKind::Relation(all)), PropertyKind::Relation(more)) => all.extend(more),
        (Some(PropertyKind::People(all)), PropertyKind::People(more)) => all.extend(more),
        (Some(PropertyKind::Title(all)), PropertyKind::Title(more)) => all.extend(more),
        (Some(PropertyKind::RichText(all)), PropertyKind::RichText(more)) => all.extend(more),
        _ => {}
    }
}
