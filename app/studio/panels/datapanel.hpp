#pragma once
// DataPanel: the schema and profile of the loaded table (one row per column: type, missing
// values, distinct values, range, moments, top values) above the distribution of the selected
// column. The start of the data panel (P4). It shows a LoadedDataset; it never loads one.
// The Type column is editable (a combo of engine::column_type_choices(), "ignore" drops the
// column): the overrides go into the run's settings (columnTypes()); "Reset type" in the table's
// context menu undoes one. The engine checks them when the run starts (a bad one is an Issue).

#include <QString>
#include <QWidget>
#include <map>
#include <memory>
#include <string>

QT_BEGIN_NAMESPACE
class QAction;
class QLabel;
class QSortFilterProxyModel;
class QSplitter;
class QStackedWidget;
class QTableView;
QT_END_NAMESPACE

namespace glasswing::studio {

struct LoadedDataset;
class HistogramChart;
class ProfileTableModel;

class DataPanel : public QWidget {
  Q_OBJECT

 public:
  explicit DataPanel(QWidget* parent = nullptr);

  // Shows `dataset` and selects its first column.
  void setDataset(std::shared_ptr<const LoadedDataset> dataset);
  void clear();
  // While nothing is shown yet, the placeholder says what is being loaded.
  void setLoadingText(const QString& text);
  const std::shared_ptr<const LoadedDataset>& dataset() const { return m_dataset; }

  // Selects the column at `row` of the profile table's source model (file order).
  void selectColumn(int row);
  // Selects the column called `name`; false when there is none.
  bool selectColumnByName(const QString& name);
  // The selected column's name; empty when none is selected.
  QString selectedColumnName() const;

  ProfileTableModel* profileModel() const { return m_model; }
  HistogramChart* histogramChart() const { return m_chart; }
  QTableView* tableView() const { return m_table; }

  // Type overrides: `type` is one of ProfileTableModel::typeChoices(); the inferred type removes
  // the override. False for an unknown column or type. Each change emits typeOverridden.
  bool setColumnType(const QString& column, const QString& type);
  void resetColumnType(const QString& column);
  // The overrides for engine::RunSettings::column_types (column name -> type).
  std::map<std::string, std::string> columnTypes() const;
  QAction* resetTypeAction() const { return m_resetType; }

 signals:
  void columnSelected(const QString& name);
  // The user changed a column's type (`to` is the inferred type again after a reset).
  void typeOverridden(const QString& column, const QString& from, const QString& to);

 private:
  void onCurrentRowChanged();
  void fitColumns();
  void fitSplitter();
  void onTypeEdited(const QModelIndex& topLeft, const QModelIndex& bottomRight);

  std::shared_ptr<const LoadedDataset> m_dataset;
  QStackedWidget* m_stack = nullptr;
  QLabel* m_placeholder = nullptr;
  QLabel* m_header = nullptr;
  ProfileTableModel* m_model = nullptr;
  QSortFilterProxyModel* m_proxy = nullptr;
  QTableView* m_table = nullptr;
  QSplitter* m_splitter = nullptr;
  HistogramChart* m_chart = nullptr;
  QString m_selectedName;
  QAction* m_resetType = nullptr;
  std::map<std::string, std::string> m_shownTypes;  // column -> the type last shown (for typeOverridden's `from`)
};

}  // namespace glasswing::studio
