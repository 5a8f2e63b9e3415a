"""Links into the MLflow UI open model-training pages (MLflow 3.17 follows workflowType)."""

from lipsync.tracking import experiment_url, model_version_url, registered_models_url, run_url


def test_links_name_the_page_and_ask_for_the_model_training_view():
    base = "http://127.0.0.1:5000/"
    assert experiment_url(base, "3") == "http://127.0.0.1:5000/#/experiments/3/runs?workflowType=machine_learning"
    assert run_url(base, "3", "abc", tab="model-metrics") == (
        "http://127.0.0.1:5000/#/experiments/3/runs/abc/model-metrics?workflowType=machine_learning"
    )
    assert (
        model_version_url(base, "lipsync-generator", 2) == "http://127.0.0.1:5000/#/models/lipsync-generator/versions/2"
    )
    assert registered_models_url(base) == "http://127.0.0.1:5000/#/models"
