//! No lost events: fault injection while objects change.

use crate::support::*;

/// What a consumer saw: name → data.x, maintained from the snapshot and then events only.
fn apply_seen(seen: &mut BTreeMap<String, String>, ev: &KubeEvent) {
    let KubeEvent::Event {
        watch_event,
        key,
        object,
        ..
    } = ev
    else {
        return;
    };
    let data = object
        .as_ref()
        .map(|o| o.to_value())
        .and_then(|o| o["data"]["x"].as_str().map(str::to_owned))
        .unwrap_or_default();
    match watch_event {
        WatchEventType::Added => {
            assert!(
                seen.insert(key.name.clone(), data).is_none(),
                "duplicate Added for {}",
                key.name
            );
        }
        WatchEventType::Modified => {
            let old = seen.insert(key.name.clone(), data.clone());
            assert!(old.is_some(), "Modified for unknown {}", key.name);
            assert_ne!(
                old.as_deref(),
                Some(data.as_str()),
                "Modified without change for {}",
                key.name
            );
        }
        WatchEventType::Deleted => {
            assert!(
                seen.remove(&key.name).is_some(),
                "Deleted for unknown {}",
                key.name
            );
        }
    }
}

#[tokio::test]
async fn no_event_is_lost_or_duplicated_when_watches_break_history_is_forgotten_and_requests_fail()
{
    let (c, client) = cluster().await;
    for i in 0..10 {
        cm(&client, "default", &format!("cm-{i}"), "0").await;
    }
    let (m, mut rx, sink) = manager(&client);
    let id = BindingId::new("faulty");
    m.start_binding(id.clone(), &labels_spec("ConfigMap", Some(".data")))
        .await
        .unwrap();
    assert_sync(&next(&mut rx).await, "faulty");
    let mut seen: BTreeMap<String, String> = m
        .snapshot(&id)
        .unwrap()
        .items
        .iter()
        .map(|i| {
            let o = i.object.as_ref().unwrap().to_value();
            (
                o["metadata"]["name"].as_str().unwrap().to_owned(),
                o["data"]["x"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let faults = c.faults();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for round in 1..=6 {
        match round % 3 {
            0 => faults.close_watches(),
            1 => {
                faults.close_watches();
                faults.forget_history();
            }
            _ => {
                faults.forget_history();
                faults.close_watches();
                faults.fail_next("configmaps", None, 3, 500);
            }
        }
        // Change objects while the watch is broken; retry writes the fault injection may fail.
        for i in 0..10 {
            let name = format!("cm-{i}");
            let action = (i + round) % 4;
            for _ in 0..20 {
                let result = match action {
                    0 => cms
                        .delete(&name, &DeleteParams::default())
                        .await
                        .map(|_| ()),
                    1 => {
                        let patch = Patch::Merge(json!({"data": {"x": format!("{round}")}}));
                        match cms.patch(&name, &PatchParams::default(), &patch).await {
                            Err(kube::Error::Api(s)) if s.code == 404 => {
                                let fresh: ConfigMap = serde_json::from_value(
                                    json!({"metadata": {"name": name}, "data": {"x": format!("{round}")}}),
                                )
                                .unwrap();
                                cms.create(&PostParams::default(), &fresh).await.map(|_| ())
                            }
                            other => other.map(|_| ()),
                        }
                    }
                    _ => cms
                        .patch(
                            &name,
                            &PatchParams::default(),
                            &Patch::Merge(
                                json!({"metadata": {"annotations": {"r": format!("{round}")}}}),
                            ),
                        )
                        .await
                        .map(|_| ()),
                };
                match result {
                    Ok(()) => break,
                    Err(kube::Error::Api(s)) if s.code == 404 => break,
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
        while let Ok(ev) = rx.try_recv() {
            apply_seen(&mut seen, &ev);
        }
    }
    faults.clear();
    // Make sure the watch is re-established, then wait until the consumer's view equals the cluster.
    let expected = loop {
        match cms.list(&ListParams::default()).await {
            Ok(list) => {
                break list
                    .items
                    .into_iter()
                    .map(|c| {
                        (
                            c.metadata.name.unwrap(),
                            c.data
                                .unwrap_or_default()
                                .get("x")
                                .cloned()
                                .unwrap_or_default(),
                        )
                    })
                    .collect::<BTreeMap<_, _>>();
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen != expected {
        let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            panic!("consumer view {seen:?} never matched the cluster {expected:?}");
        };
        apply_seen(&mut seen, &ev);
    }
    // Nothing more arrives once the views match: no duplicates trailing behind.
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(700), rx.recv()).await {
        apply_seen(&mut seen, &ev);
    }
    assert_eq!(seen, expected);
    assert!(
        sink.0.load(Ordering::SeqCst) > 0,
        "watch errors were counted"
    );
    m.shutdown().await;
}
