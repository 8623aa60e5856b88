fn main() {
    let ws = notion_mock::Workspace::kitchen_sink();
    println!("{:?}", ws.min_requests());
    let ids = ws.page_ids();
    println!("pages {}", ids.len());
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "tree" {
        println!(
            "{}",
            serde_json::to_string_pretty(&ws.page_tree_json(&ids[0]).unwrap()).unwrap()
        );
    } else if arg == "texts" {
        for id in &ids {
            println!("{:?}", ws.plain_texts(id));
        }
    }
}
