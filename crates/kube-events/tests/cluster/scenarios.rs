//! Reference scenarios 6–17 for kubernetes bindings.

use crate::support::*;

#[tokio::test]
async fn scenario_6_filtered_pods_sync_sorted_and_only_label_changes_are_modified() {
    let (_c, client) = cluster().await;
    pod(&client, "default", "b", json!({"app": "b"})).await;
    pod(&client, "default", "a", json!({"app": "a"})).await;
    let (m, mut rx, _) = manager(&client);
    let id = BindingId::new("pods");
    m.start_binding(id.clone(), &labels_spec("Pod", Some(".metadata.labels")))
        .await
        .unwrap();
    assert_sync(&next(&mut rx).await, "pods");
    let snap = m.snapshot(&id).unwrap();
    let results: Vec<_> = snap
        .items
        .iter()
        .map(|i| i.filter_result.clone().unwrap())
        .collect();
    assert_eq!(results, [json!({"app": "a"}), json!({"app": "b"})]);
    assert!(snap.items.iter().all(|i| {
        i.object
            .as_ref()
            .is_some_and(|o| o.to_value()["kind"] == "Pod")
    }));
    assert!(snap.items.iter().all(|i| {
        i.object
            .as_ref()
            .is_some_and(|o| o.to_value()["metadata"].get("managedFields").is_none())
    }));

    pod(&client, "default", "c", json!({"app": "c"})).await;
    assert_eq!(
        event_of(&next(&mut rx).await),
        (
            "pods".into(),
            WatchEventType::Added,
            "c".into(),
            Some(json!({"app": "c"}))
        )
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.patch_status(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Running"}})),
    )
    .await
    .unwrap();
    quiet(&mut rx).await;

    pods.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "z"}}})),
    )
    .await
    .unwrap();
    assert_eq!(
        event_of(&next(&mut rx).await),
        (
            "pods".into(),
            WatchEventType::Modified,
            "c".into(),
            Some(json!({"app": "z"}))
        )
    );

    pods.delete("c", &DeleteParams::default()).await.unwrap();
    let ev = next(&mut rx).await;
    assert_eq!(
        event_of(&ev),
        (
            "pods".into(),
            WatchEventType::Deleted,
            "c".into(),
            Some(json!({"app": "z"}))
        )
    );
    let KubeEvent::Event { object, .. } = ev else {
        unreachable!()
    };
    assert_eq!(object.unwrap().to_value()["metadata"]["labels"]["app"], "z");
    assert_eq!(m.snapshot(&id).unwrap().items.len(), 2);
    m.shutdown().await;
}

#[tokio::test]
async fn scenario_7_and_8_unfiltered_status_changes_are_modified_and_unsubscribed_deletes_still_leave_the_snapshot()
 {
    let (_c, client) = cluster().await;
    pod(&client, "default", "a", json!({})).await;
    let (m, mut rx, _) = manager(&client);
    let all = BindingId::new("all");
    m.start_binding(all.clone(), &labels_spec("pods", None))
        .await
        .unwrap();
    let added_only = BindingId::new("added-only");
    let mut spec = labels_spec("po", None);
    spec.event_types = EventTypes::from_types(&[WatchEventType::Added]);
    m.start_binding(added_only.clone(), &spec).await.unwrap();
    let mut synced = [next(&mut rx).await, next(&mut rx).await];
    synced.sort_by_key(|e| e.binding_id().to_string());
    assert_sync(&synced[0], "added-only");
    assert_sync(&synced[1], "all");
    assert_eq!(m.watch_count(), 1, "identical bindings share one watch");
    assert!(
        m.snapshot(&all)
            .unwrap()
            .items
            .iter()
            .all(|i| i.filter_result.is_none())
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.patch_status(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Running"}})),
    )
    .await
    .unwrap();
    assert_eq!(event_of(&next(&mut rx).await).1, WatchEventType::Modified);
    quiet(&mut rx).await;

    pods.delete("a", &DeleteParams::default()).await.unwrap();
    let (binding, kind, ..) = event_of(&next(&mut rx).await);
    assert_eq!((binding.as_str(), kind), ("all", WatchEventType::Deleted));
    quiet(&mut rx).await;
    assert!(m.snapshot(&added_only).unwrap().items.is_empty());
    m.shutdown().await;
}

#[tokio::test]
async fn scenario_10_without_full_objects_items_hold_only_the_filter_result() {
    let (_c, client) = cluster().await;
    cm(&client, "default", "a", "1").await;
    let (m, mut rx, _) = manager(&client);
    let id = BindingId::new("cms");
    let mut spec = labels_spec("ConfigMap", Some(".data.x"));
    spec.keep_full_objects = false;
    m.start_binding(id.clone(), &spec).await.unwrap();
    assert_sync(&next(&mut rx).await, "cms");
    let snap = m.snapshot(&id).unwrap();
    assert_eq!(snap.items.len(), 1);
    assert_eq!(snap.items[0].object, None);
    assert_eq!(snap.items[0].filter_result, Some(json!("1")));
    cm(&client, "default", "b", "2").await;
    match next(&mut rx).await {
        KubeEvent::Event {
            object,
            filter_result,
            ..
        } => {
            assert_eq!(object, None);
            assert_eq!(filter_result, Some(json!("2")));
        }
        other => panic!("{other:?}"),
    }
    m.shutdown().await;
}

#[tokio::test]
async fn a_binding_joining_a_shared_watch_later_sees_the_same_objects_and_events_follow_snapshot_sequence()
 {
    let (_c, client) = cluster().await;
    cm(&client, "default", "a", "1").await;
    let (m, mut rx, _) = manager(&client);
    let first = BindingId::new("first");
    let mut keys_only = labels_spec("ConfigMap", Some(".data"));
    keys_only.keep_full_objects = false;
    m.start_binding(first.clone(), &keys_only).await.unwrap();
    assert_sync(&next(&mut rx).await, "first");
    // The watch only holds keys; a binding wanting full objects makes it list again.
    let second = BindingId::new("second");
    m.start_binding(second.clone(), &labels_spec("ConfigMap", None))
        .await
        .unwrap();
    assert_sync(&next(&mut rx).await, "second");
    quiet(&mut rx).await;
    assert_eq!(m.watch_count(), 1);
    assert_eq!(m.snapshot(&second).unwrap().items.len(), 1);

    cm(&client, "default", "b", "2").await;
    let a = next(&mut rx).await;
    let b = next(&mut rx).await;
    let snap = m.snapshot(&second).unwrap();
    for ev in [a, b] {
        if let KubeEvent::Event {
            binding_id, seq, ..
        } = ev
            && binding_id == second
        {
            assert!(
                snap.seq >= seq,
                "a snapshot read after the event includes it"
            );
        }
    }
    assert_eq!(snap.items.len(), 2);
    assert!(m.stop_binding(&first));
    assert!(m.stop_binding(&second));
    assert_eq!(m.watch_count(), 0);
    m.shutdown().await;
}

#[tokio::test]
async fn kinds_resolve_by_any_name_and_selectors_filter_on_the_server() {
    let (_c, client) = cluster().await;
    let (m, _rx, _) = manager(&client);
    for (api_version, kind, plural) in [
        (None, "ConfigMap", "configmaps"),
        (None, "cm", "configmaps"),
        (Some("apps/v1"), "Deployments", "deployments"),
        (None, "deploy", "deployments"),
        (Some("v1"), "namespace", "namespaces"),
    ] {
        let found = m.resolver().resolve(api_version, kind).await.unwrap();
        assert_eq!(found.resource.plural, plural, "{kind}");
    }
    assert!(matches!(
        m.resolver().resolve(None, "CronTab").await,
        Err(kube_events::Error::KindNotFound { .. })
    ));

    let (_c2, client) = cluster().await;
    for (name, labels) in [
        ("a", json!({"tier": "web"})),
        ("b", json!({"tier": "db"})),
        ("c", json!({})),
    ] {
        pod(&client, "default", name, labels).await;
    }
    let (m, mut rx, _) = manager(&client);
    let id = BindingId::new("sel");
    let mut spec = labels_spec("Pod", Some(".metadata.name"));
    spec.label_selector = Some(LabelSelector {
        match_expressions: vec![LabelExpression {
            key: "tier".into(),
            operator: LabelOperator::Exists,
            values: vec![],
        }],
        ..LabelSelector::default()
    });
    spec.field_selector = vec![FieldExpression {
        field: "metadata.name".into(),
        operator: FieldOperator::NotEquals,
        value: "b".into(),
    }];
    m.start_binding(id.clone(), &spec).await.unwrap();
    assert_sync(&next(&mut rx).await, "sel");
    let names: Vec<_> = m
        .snapshot(&id)
        .unwrap()
        .items
        .into_iter()
        .filter_map(|i| i.filter_result)
        .collect();
    assert_eq!(names, [json!("a")]);
    m.shutdown().await;
}

#[tokio::test]
async fn scenario_16_namespace_and_name_selectors_make_one_watch_per_pair() {
    let (_c, client) = cluster().await;
    for ns in ["a", "b", "c"] {
        namespace(&client, ns, json!({})).await;
        for name in ["x", "y", "z"] {
            cm(&client, ns, name, "1").await;
        }
    }
    let (m, mut rx, _) = manager(&client);
    let id = BindingId::new("pairs");
    let mut spec = labels_spec("ConfigMap", None);
    spec.names = vec!["x".into(), "y".into()];
    spec.namespace = NamespaceSelector::Names(vec!["a".into(), "b".into()]);
    m.start_binding(id.clone(), &spec).await.unwrap();
    assert_sync(&next(&mut rx).await, "pairs");
    assert_eq!(m.watch_count(), 4);
    let keys: Vec<String> = m
        .snapshot(&id)
        .unwrap()
        .items
        .iter()
        .map(|i| {
            let o = i.object.as_ref().unwrap().to_value();
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(keys, ["a/x", "a/y", "b/x", "b/y"]);
    Api::<ConfigMap>::namespaced(client.clone(), "c")
        .delete("x", &DeleteParams::default())
        .await
        .unwrap();
    quiet(&mut rx).await;
    m.shutdown().await;
}

#[tokio::test]
async fn scenario_14_namespace_label_selector_follows_namespaces_as_they_start_and_stop_matching() {
    let (_c, client) = cluster().await;
    namespace(&client, "on", json!({"test-label": ""})).await;
    namespace(&client, "off", json!({})).await;
    cm(&client, "on", "a", "1").await;
    cm(&client, "off", "b", "1").await;
    let (m, mut rx, _) = manager(&client);
    let id = BindingId::new("labelled");
    let mut spec = labels_spec("ConfigMap", Some(".metadata.name"));
    spec.namespace = NamespaceSelector::Labels(LabelSelector {
        match_labels: [("test-label".to_owned(), String::new())].into(),
        ..LabelSelector::default()
    });
    m.start_binding(id.clone(), &spec).await.unwrap();
    assert_sync(&next(&mut rx).await, "labelled");
    let names = |m: &KubeEventsManager| -> Vec<Value> {
        m.snapshot(&id)
            .unwrap()
            .items
            .into_iter()
            .filter_map(|i| i.filter_result)
            .collect()
    };
    assert_eq!(names(&m), [json!("a")]);

    namespace(&client, "new", json!({"test-label": ""})).await;
    cm(&client, "new", "c", "1").await;
    assert_eq!(
        event_of(&next(&mut rx).await),
        (
            "labelled".into(),
            WatchEventType::Added,
            "c".into(),
            Some(json!("c"))
        )
    );

    // "on" stops matching: its objects leave the snapshot without Deleted events.
    Api::<Namespace>::all(client.clone())
        .patch(
            "on",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"test-label": null}}})),
        )
        .await
        .unwrap();
    tokio::time::timeout(WAIT, async {
        while names(&m) != [json!("c")] {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("objects of the namespace left the snapshot");
    quiet(&mut rx).await;
    m.shutdown().await;
}

#[tokio::test]
async fn a_missing_kind_fails_enabling_until_its_crd_appears() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let (_c, client) = cluster().await;
    let (m, mut rx, _) = manager(&client);
    let spec = labels_spec("CronTab", None);
    assert!(matches!(
        m.start_binding(BindingId::new("crontabs"), &spec).await,
        Err(kube_events::Error::KindNotFound { .. })
    ));
    let errors = Arc::new(AtomicUsize::new(0));
    let creator = {
        let client = client.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let crd: CustomResourceDefinition = serde_json::from_value(json!({
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "crontabs.stable.example.com"},
                "spec": {"group": "stable.example.com", "scope": "Namespaced",
                    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
                    "versions": [{"name": "v1", "served": true, "storage": true,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
            }))
            .unwrap();
            Api::<CustomResourceDefinition>::all(client)
                .create(&PostParams::default(), &crd)
                .await
                .unwrap();
        }
    };
    let counted = errors.clone();
    let (started, ()) = tokio::join!(
        m.start_binding_retrying(BindingId::new("crontabs"), &spec, |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        }),
        creator
    );
    started.unwrap();
    assert!(errors.load(Ordering::SeqCst) >= 1);
    assert_sync(&next(&mut rx).await, "crontabs");
    m.shutdown().await;
}

#[tokio::test]
async fn scenario_17_a_slow_consumer_gets_every_event_in_creation_order_through_a_tiny_channel() {
    let (_c, client) = cluster().await;
    let config = ManagerConfig {
        channel_capacity: 2,
        ..fast_config()
    };
    let (m, mut rx) =
        KubeEventsManager::new(client.clone(), config, Arc::new(CountingSink::default()));
    m.start_binding(
        BindingId::new("slow"),
        &labels_spec("ConfigMap", Some(".metadata.name")),
    )
    .await
    .unwrap();
    assert_sync(&next(&mut rx).await, "slow");
    let names: Vec<String> = (0..40).map(|i| format!("cm-{i:02}")).collect();
    for name in &names {
        cm(&client, "default", name, "1").await;
    }
    let mut got = Vec::new();
    while got.len() < names.len() {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_, kind, name, _) = event_of(&next(&mut rx).await);
        assert_eq!(kind, WatchEventType::Added);
        got.push(name);
    }
    assert_eq!(got, names);
    quiet(&mut rx).await;
    m.shutdown().await;
}
