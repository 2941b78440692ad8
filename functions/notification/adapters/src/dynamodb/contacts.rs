//! Contacts (a copy under each id they are known by), the `HR` listing of
//! active hr contacts, and preferences.

use std::collections::BTreeMap;

use hrms_events::Role;
use hrms_notification::Preferences;
use hrms_notification::contacts::{Contact, ContactUpdate};
use uuid::Uuid;

use super::{DynamoNotificationStore, Expect, Stored, json, n, record, with_record};
use hrms_dynamodb::{Failure, Item, get_item, item_key, query_partition};

const CONTACT_SK: &str = "CONTACT";
const PREFERENCES_SK: &str = "PREFERENCES";
const HR_PK: &str = "HR";

fn user_pk(user_id: Uuid) -> String {
    format!("USER#{user_id}")
}

pub(super) fn user_key(user_id: Uuid) -> Item {
    item_key(user_pk(user_id), CONTACT_SK)
}

fn employee_pk(employee_id: Uuid) -> String {
    format!("EMPLOYEE#{employee_id}")
}

pub(super) fn employee_key(employee_id: Uuid) -> Item {
    item_key(employee_pk(employee_id), CONTACT_SK)
}

/// Where copies of a contact live: (partition key, user id if it is the account's).
fn keys(contact: &Contact) -> Vec<(String, Option<Uuid>)> {
    let by_user = contact.user_id.map(|u| (user_pk(u), Some(u)));
    let by_employee = contact.employee_id.map(|e| (employee_pk(e), None));
    by_user.into_iter().chain(by_employee).collect()
}

impl DynamoNotificationStore {
    pub(super) async fn contact(&self, key: Item) -> Result<Option<Stored<Contact>>, Failure> {
        self.stored(key, "read contact").await
    }

    async fn contact_at(&self, key: Option<Item>) -> Result<Option<Stored<Contact>>, Failure> {
        match key {
            Some(key) => self.contact(key).await,
            None => Ok(None),
        }
    }

    /// Applies `update` as the SQLite store does: to the contact with its
    /// user id or employee id, merging the two when the update names both.
    pub(super) async fn learn_once(&self, update: &ContactUpdate) -> Result<(), Failure> {
        let (by_user, by_employee) = futures::try_join!(
            self.contact_at(update.user_id.map(user_key)),
            self.contact_at(update.employee_id.map(employee_key)),
        )?;
        // Every copy read or known to exist (with the account it is under),
        // and what its write expects.
        let mut expected: BTreeMap<String, (Option<Uuid>, Expect)> = BTreeMap::new();
        for (read, pk) in
            [(&by_user, update.user_id.map(user_pk)), (&by_employee, update.employee_id.map(employee_pk))]
        {
            match (read, pk) {
                (Some(c), _) => {
                    let copies =
                        keys(&c.value).into_iter().map(|(k, u)| (k, (u, Expect::Version(c.version))));
                    expected.extend(copies);
                }
                (None, Some(pk)) => {
                    expected.entry(pk).or_insert((None, Expect::Absent));
                }
                (None, None) => {}
            }
        }
        let known = match (&by_user, &by_employee) {
            // An event that names both links an account to its employee record.
            (Some(user), Some(employee)) if user.value != employee.value => Some(
                ContactUpdate {
                    employee_id: employee.value.employee_id,
                    manager_id: Some(employee.value.manager_id),
                    ..ContactUpdate::default()
                }
                .apply(Some(user.value.clone())),
            ),
            (Some(c), _) | (None, Some(c)) => Some(c.value.clone()),
            (None, None) => None,
        };
        let contact = update.apply(known);
        let version = [&by_user, &by_employee].iter().filter_map(|c| c.as_ref().map(|c| c.version)).max();
        let body = json(&contact)?;
        let kept = keys(&contact);

        let mut items = Vec::new();
        for (pk, _) in &kept {
            let expect = expected.get(pk).map_or(Expect::Absent, |(_, e)| *e);
            let mut item = with_record(item_key(pk.clone(), CONTACT_SK), &body);
            item.insert("version".into(), n(version.unwrap_or(0) + 1));
            items.push(self.put(item, expect)?);
        }
        // Copies under ids the contact no longer has, and their hr listing.
        for (pk, (user, expect)) in &expected {
            if kept.iter().all(|(k, _)| k != pk) && *expect != Expect::Absent {
                items.push(self.delete(item_key(pk.clone(), CONTACT_SK), *expect)?);
                if let Some(user) = user.filter(|u| Some(*u) != contact.user_id) {
                    items.push(self.delete(item_key(HR_PK, user.to_string()), Expect::Anything)?);
                }
            }
        }
        if let Some(user) = contact.user_id {
            let hr = item_key(HR_PK, user.to_string());
            items.push(if contact.role == Some(Role::Hr) && contact.active {
                self.put(with_record(hr, &body), Expect::Anything)?
            } else {
                self.delete(hr, Expect::Anything)?
            });
        }
        self.commit(items).await
    }

    /// Active hr contacts, by user id.
    pub(super) async fn hr_contacts(&self) -> Result<Vec<Contact>, Failure> {
        let items = query_partition(&self.client, &self.table, HR_PK, true, usize::MAX).await?;
        items.iter().map(record).collect()
    }

    pub(super) async fn read_preferences(&self, user_id: Uuid) -> Result<Preferences, Failure> {
        let key = item_key(user_pk(user_id), PREFERENCES_SK);
        let item = get_item(&self.client, &self.table, key, "read preferences").await?;
        Ok(item.as_ref().map(record).transpose()?.unwrap_or_default())
    }

    pub(super) async fn write_preferences(
        &self,
        user_id: Uuid,
        preferences: &Preferences,
    ) -> Result<(), Failure> {
        let item = with_record(item_key(user_pk(user_id), PREFERENCES_SK), &json(preferences)?);
        self.commit(vec![self.put(item, Expect::Anything)?]).await
    }
}
